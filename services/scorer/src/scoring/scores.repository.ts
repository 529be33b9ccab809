import { Inject, Injectable } from '@nestjs/common';
import type { TransactionScored } from '@vigil/contracts';
import { BatchWriter, Database, sql } from '@vigil/db';

const insertScores = sql(
  'scorer.insert_scores',
  `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region,
                              partner_id, origin_account, destination_account, occurred_at, scored_at)
   SELECT * FROM unnest($1::text[], $2::numeric[], $3::jsonb[], $4::text[], $5::text[], $6::numeric[], $7::text[],
                        $8::text[], $9::text[], $10::text[], $11::text[], $12::timestamptz[], $13::timestamptz[])
   ON CONFLICT (transaction_id) DO NOTHING`,
);

/** Scores, one row per transaction however often a message is redelivered. */
@Injectable()
export class ScoresRepository {
  private readonly writer: BatchWriter<TransactionScored>;

  constructor(@Inject(Database) private readonly db: Database) {
    this.writer = new BatchWriter(db, { write: (rows) => this.write(rows) });
  }

  save(scored: TransactionScored): Promise<void> {
    return this.writer.add(scored);
  }

  private async write(rows: TransactionScored[]): Promise<void> {
    const t = rows.map((r) => r.transaction);
    await this.db.query(insertScores, [
      t.map((x) => x.transaction_id),
      rows.map((r) => r.score),
      rows.map((r) => JSON.stringify(r.reasons)),
      rows.map((r) => r.model_version),
      t.map((x) => x.type),
      t.map((x) => x.amount),
      t.map((x) => x.currency),
      t.map((x) => x.region),
      t.map((x) => x.partner_id ?? null),
      t.map((x) => x.origin.account),
      t.map((x) => x.destination?.account ?? null),
      t.map((x) => x.timestamp),
      rows.map((r) => r.scored_at),
    ]);
  }
}
