import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

// two requests for one id may race: one of them conflicts, gets no row, and takes the next number
const nextAttempt = sql(
  'ingest.next_replay_attempt',
  `INSERT INTO ingest.replays (transaction_id, attempt, requested_by)
   SELECT $1, coalesce(max(attempt), 0) + 1, $2 FROM ingest.replays WHERE transaction_id = $1
   ON CONFLICT (transaction_id, attempt) DO NOTHING
   RETURNING attempt`,
);
const firstReceived = sql(
  'ingest.first_received_at',
  `SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS received_at
     FROM ingest.transactions WHERE transaction_id = $1`,
);

@Injectable()
export class ReplaysRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async nextAttempt(transactionId: string, requestedBy: string): Promise<number> {
    for (;;) {
      const [row] = await this.db.query<{ attempt: number }>(nextAttempt, [transactionId, requestedBy]);
      if (row) return row.attempt;
    }
  }

  /** When ingest first received the transaction: a replay is judged as of then (e.g. for freshness). */
  async firstReceivedAt(transactionId: string): Promise<string | undefined> {
    const [row] = await this.db.query<{ received_at: string }>(firstReceived, [transactionId]);
    return row?.received_at;
  }
}
