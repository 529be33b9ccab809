import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { Permission, Role } from './principal.js';

export interface OAuthClientRow {
  client_id: string;
  name: string;
  role: Role;
  partner_id: string | null;
  scopes: Permission[];
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

const COLUMNS = `client_id, name, role, partner_id, scopes, created_by, created_at, revoked_at`;

const insertClient = sql(
  'gateway.insert_oauth_client',
  `INSERT INTO gateway.oauth_clients (client_id, secret_hash, name, role, partner_id, scopes, created_by)
   VALUES ($1, $2, $3, $4, $5, $6::text[], $7)
   RETURNING ${COLUMNS}`,
);
const findLiveClient = sql(
  'gateway.find_live_oauth_client',
  `SELECT ${COLUMNS}, secret_hash FROM gateway.oauth_clients WHERE client_id = $1 AND revoked_at IS NULL`,
);
const listClients = sql(
  'gateway.list_oauth_clients',
  `SELECT ${COLUMNS} FROM gateway.oauth_clients ORDER BY created_at DESC, client_id LIMIT 500`,
);
const revokeClient = sql(
  'gateway.revoke_oauth_client',
  `UPDATE gateway.oauth_clients SET revoked_at = coalesce(revoked_at, now()) WHERE client_id = $1 RETURNING ${COLUMNS}`,
);

export interface NewOAuthClient {
  clientId: string;
  secretHash: Buffer;
  name: string;
  role: Role;
  partnerId: string | null;
  scopes: readonly Permission[];
  createdBy: string;
}

@Injectable()
export class OAuthClientsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(client: NewOAuthClient): Promise<OAuthClientRow> {
    const [row] = await this.db.query<OAuthClientRow>(insertClient, [
      client.clientId,
      client.secretHash,
      client.name,
      client.role,
      client.partnerId,
      client.scopes,
      client.createdBy,
    ]);
    return row!;
  }

  async findLive(clientId: string): Promise<(OAuthClientRow & { secret_hash: Buffer }) | undefined> {
    const [row] = await this.db.query<OAuthClientRow & { secret_hash: Buffer }>(findLiveClient, [clientId]);
    return row;
  }

  list(): Promise<OAuthClientRow[]> {
    return this.db.query<OAuthClientRow>(listClients);
  }

  async revoke(clientId: string): Promise<OAuthClientRow | undefined> {
    const [row] = await this.db.query<OAuthClientRow>(revokeClient, [clientId]);
    return row;
  }
}
