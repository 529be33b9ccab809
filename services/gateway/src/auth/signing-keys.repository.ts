import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { JWK } from 'jose';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: JWK;
  sealed_private_jwk: string;
  created_at: Date;
  retires_at: Date | null;
}

const listVerifying = sql(
  'gateway.list_signing_keys',
  `SELECT kid, alg, public_jwk, sealed_private_jwk, created_at, retires_at
     FROM gateway.signing_keys
    WHERE retires_at IS NULL OR retires_at > now()
    ORDER BY created_at DESC`,
);
// one rotation at a time across replicas; released when the transaction ends
const lockRotation = sql(
  'gateway.lock_signing_key_rotation',
  `SELECT pg_advisory_xact_lock(hashtext('gateway.signing_keys'))`,
);
const findActive = sql(
  'gateway.find_active_signing_key',
  `SELECT kid, created_at FROM gateway.signing_keys WHERE retires_at IS NULL ORDER BY created_at DESC LIMIT 1`,
);
const retireActive = sql(
  'gateway.retire_signing_keys',
  `UPDATE gateway.signing_keys SET retires_at = now() + make_interval(secs => $1) WHERE retires_at IS NULL`,
);
const insertKey = sql(
  'gateway.insert_signing_key',
  `INSERT INTO gateway.signing_keys (kid, alg, public_jwk, sealed_private_jwk) VALUES ($1, $2, $3, $4)`,
);

export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: JWK;
  sealedPrivateJwk: string;
}

@Injectable()
export class SigningKeysRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  listVerifying(): Promise<SigningKeyRow[]> {
    return this.db.query<SigningKeyRow>(listVerifying);
  }

  /**
   * Under a lock, asks `shouldRotate` about the current active key and, if it says so, retires it (it keeps
   * verifying for `graceSeconds`) and inserts the new key. Returns whether it rotated.
   */
  async rotate(
    shouldRotate: (active: { kid: string; created_at: Date } | undefined) => boolean,
    next: NewSigningKey,
    graceSeconds: number,
  ): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await client.query(lockRotation.text);
      const { rows } = await client.query<{ kid: string; created_at: Date }>(findActive.text);
      if (!shouldRotate(rows[0])) return false;
      await client.query(retireActive.text, [graceSeconds]);
      await client.query(insertKey.text, [
        next.kid,
        next.alg,
        JSON.stringify(next.publicJwk),
        next.sealedPrivateJwk,
      ]);
      return true;
    });
  }
}
