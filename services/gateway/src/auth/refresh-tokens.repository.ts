import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

const insertToken = sql(
  'gateway.insert_refresh_token',
  `INSERT INTO gateway.refresh_tokens (token_hash, family_id, username, expires_at)
   VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
);
const lockToken = sql(
  'gateway.lock_refresh_token',
  `SELECT family_id, username, expires_at <= now() AS expired, used_at IS NOT NULL AS used, revoked_at IS NOT NULL AS revoked
     FROM gateway.refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
);
const markUsed = sql(
  'gateway.use_refresh_token',
  `UPDATE gateway.refresh_tokens SET used_at = now() WHERE token_hash = $1`,
);
const revokeFamily = sql(
  'gateway.revoke_refresh_family',
  `UPDATE gateway.refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
);

export type RefreshOutcome =
  | { outcome: 'rotated'; username: string; familyId: string }
  | { outcome: 'reused'; username: string; familyId: string }
  | { outcome: 'unknown' | 'expired' | 'revoked' };

@Injectable()
export class RefreshTokensRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(tokenHash: Buffer, familyId: string, username: string, ttlSeconds: number): Promise<void> {
    await this.db.query(insertToken, [tokenHash, familyId, username, ttlSeconds]);
  }

  /**
   * In one transaction: a live token is marked used and `nextHash` joins its family; a token that was already
   * used revokes its whole family (someone holds a copy of it).
   */
  rotate(presentedHash: Buffer, nextHash: Buffer, ttlSeconds: number): Promise<RefreshOutcome> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<{
        family_id: string;
        username: string;
        expired: boolean;
        used: boolean;
        revoked: boolean;
      }>(lockToken.text, [presentedHash]);
      const row = rows[0];
      if (!row) return { outcome: 'unknown' };
      if (row.used) {
        await client.query(revokeFamily.text, [row.family_id]);
        return { outcome: 'reused', username: row.username, familyId: row.family_id };
      }
      if (row.revoked) return { outcome: 'revoked' };
      if (row.expired) return { outcome: 'expired' };
      await client.query(markUsed.text, [presentedHash]);
      await client.query(insertToken.text, [nextHash, row.family_id, row.username, ttlSeconds]);
      return { outcome: 'rotated', username: row.username, familyId: row.family_id };
    });
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db.query(revokeFamily, [familyId]);
  }
}
