// Idempotency-Key: a retried request with the same key and body gets the first answer, not a second submission.
import { Inject, Injectable } from '@nestjs/common';
import type { IngestSubmitReply } from '@vigil/contracts';
import { Database, sql } from '@vigil/db';

const claim = sql(
  'ingest.claim_idempotency_key',
  `INSERT INTO ingest.idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3)
   ON CONFLICT (principal, key) DO NOTHING RETURNING key`,
);
const lookup = sql(
  'ingest.find_idempotency_key',
  `SELECT request_hash, response FROM ingest.idempotency_keys WHERE principal = $1 AND key = $2`,
);
const complete = sql(
  'ingest.complete_idempotency_key',
  `UPDATE ingest.idempotency_keys SET response = $3 WHERE principal = $1 AND key = $2`,
);
const release = sql(
  'ingest.release_idempotency_key',
  `DELETE FROM ingest.idempotency_keys WHERE principal = $1 AND key = $2 AND response IS NULL`,
);

export type Claim =
  { state: 'new' } | { state: 'replay'; reply: IngestSubmitReply } | { state: 'conflict'; message: string };

@Injectable()
export class IdempotencyRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async claim(principal: string, key: string, requestHash: string): Promise<Claim> {
    if ((await this.db.query(claim, [principal, key, requestHash])).length > 0) return { state: 'new' };
    const [row] = await this.db.query<{ request_hash: string; response: IngestSubmitReply | null }>(lookup, [
      principal,
      key,
    ]);
    if (!row) return this.claim(principal, key, requestHash); // released meanwhile
    if (row.request_hash !== requestHash) {
      return { state: 'conflict', message: 'Idempotency-Key was already used with a different request body' };
    }
    if (!row.response)
      return { state: 'conflict', message: 'a request with this Idempotency-Key is still in progress' };
    return { state: 'replay', reply: row.response };
  }

  async complete(principal: string, key: string, reply: IngestSubmitReply): Promise<void> {
    await this.db.query(complete, [principal, key, JSON.stringify(reply)]);
  }

  /** A request that failed part-way gives its key back so the client can retry it. */
  async release(principal: string, key: string): Promise<void> {
    await this.db.query(release, [principal, key]);
  }
}
