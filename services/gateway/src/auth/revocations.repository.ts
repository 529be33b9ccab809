import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

export interface RecentRevocations {
  /** OAuth clients revoked within the window: their access tokens are refused. */
  clients: string[];
  /** Refresh token families revoked within the window: the access tokens of those sessions are refused. */
  families: string[];
}

// Everything revoked within the last access token lifetime: an older revocation can have no live token left.
// The whole window is read each time rather than what is new since the last read: a revocation committed late
// with an earlier revoked_at would otherwise be missed.
const recentClients = sql(
  'gateway.recently_revoked_oauth_clients',
  `SELECT client_id FROM gateway.oauth_clients WHERE revoked_at > now() - make_interval(secs => $1)`,
);
const recentFamilies = sql(
  'gateway.recently_revoked_refresh_families',
  `SELECT DISTINCT family_id::text AS family_id FROM gateway.refresh_tokens
    WHERE revoked_at > now() - make_interval(secs => $1)`,
);

@Injectable()
export class RevocationsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async recent(withinSeconds: number): Promise<RecentRevocations> {
    const [clients, families] = await Promise.all([
      this.db.query<{ client_id: string }>(recentClients, [withinSeconds]),
      this.db.query<{ family_id: string }>(recentFamilies, [withinSeconds]),
    ]);
    return { clients: clients.map((r) => r.client_id), families: families.map((r) => r.family_id) };
  }
}
