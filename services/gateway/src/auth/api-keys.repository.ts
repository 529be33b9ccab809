import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { Permission, Role } from './principal.js';

export interface ApiKeyRow {
  key_id: string;
  name: string;
  role: Role;
  partner_id: string | null;
  regions: string[];
  scopes: Permission[];
  created_by: string;
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = `key_id, name, role, partner_id, regions, scopes, created_by, created_at, expires_at, revoked_at`;

const insertKey = sql(
  'gateway.insert_api_key',
  `INSERT INTO gateway.api_keys (key_id, key_hash, name, role, partner_id, regions, scopes, created_by, expires_at)
   VALUES ($1, $2, $3, $4, $5, $6::text[], $7::text[], $8, $9)
   RETURNING ${COLUMNS}`,
);
const findLiveKey = sql(
  'gateway.find_live_api_key',
  `SELECT ${COLUMNS}, key_hash FROM gateway.api_keys
    WHERE key_id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())`,
);
const listKeys = sql(
  'gateway.list_api_keys',
  `SELECT ${COLUMNS} FROM gateway.api_keys
    WHERE $1::text IS NULL OR partner_id = $1
    ORDER BY created_at DESC, key_id
    LIMIT 500`,
);
const revokeKey = sql(
  'gateway.revoke_api_key',
  `UPDATE gateway.api_keys SET revoked_at = coalesce(revoked_at, now())
    WHERE key_id = $1 AND ($2::text IS NULL OR partner_id = $2)
   RETURNING ${COLUMNS}`,
);

export interface NewApiKey {
  keyId: string;
  keyHash: Buffer;
  name: string;
  role: Role;
  partnerId: string | null;
  regions: readonly string[];
  scopes: readonly Permission[];
  createdBy: string;
  expiresAt: Date | null;
}

@Injectable()
export class ApiKeysRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(key: NewApiKey): Promise<ApiKeyRow> {
    const [row] = await this.db.query<ApiKeyRow>(insertKey, [
      key.keyId,
      key.keyHash,
      key.name,
      key.role,
      key.partnerId,
      key.regions,
      key.scopes,
      key.createdBy,
      key.expiresAt,
    ]);
    return row!;
  }

  async findLive(keyId: string): Promise<(ApiKeyRow & { key_hash: Buffer }) | undefined> {
    const [row] = await this.db.query<ApiKeyRow & { key_hash: Buffer }>(findLiveKey, [keyId]);
    return row;
  }

  /** Every key, or a partner's keys only. */
  list(partnerId: string | null): Promise<ApiKeyRow[]> {
    return this.db.query<ApiKeyRow>(listKeys, [partnerId]);
  }

  /** Revokes a key (of `partnerId` only, when given); undefined when there is no such key. */
  async revoke(keyId: string, partnerId: string | null): Promise<ApiKeyRow | undefined> {
    const [row] = await this.db.query<ApiKeyRow>(revokeKey, [keyId, partnerId]);
    return row;
  }
}
