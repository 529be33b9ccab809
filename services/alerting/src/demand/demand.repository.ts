import { Inject, Injectable } from '@nestjs/common';
import type { DemandDimension } from '@vigil/contracts';
import { BatchWriter, Database, sql } from '@vigil/db';
import { run, type Tx } from '../db/tx.js';

export interface DemandRow {
  transactionId: string;
  bucketStart: Date;
  region: string;
  merchantCategory: string | null;
  transactionType: string;
  channel: string | null;
  currency: string;
  amount: string;
}

// a transaction counts once: only the ids demand_seen did not know yet reach the buckets, in one statement
const record = sql(
  'alerting.record_demand',
  `WITH incoming AS (
     SELECT DISTINCT ON (transaction_id) *
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::numeric[])
         AS i(transaction_id, bucket_start, region, merchant_category, transaction_type, channel, currency, amount)
      ORDER BY transaction_id),
   fresh AS (
     INSERT INTO alerting.demand_seen (transaction_id) SELECT transaction_id FROM incoming
     ON CONFLICT DO NOTHING RETURNING transaction_id),
   counted AS (SELECT incoming.* FROM incoming JOIN fresh USING (transaction_id)),
   dimensions AS (
     SELECT 'region' AS dimension, region AS value, currency, bucket_start, amount FROM counted
     UNION ALL SELECT 'merchant_category', merchant_category, currency, bucket_start, amount FROM counted
                WHERE merchant_category IS NOT NULL
     UNION ALL SELECT 'transaction_type', transaction_type, currency, bucket_start, amount FROM counted
     UNION ALL SELECT 'channel', channel, currency, bucket_start, amount FROM counted WHERE channel IS NOT NULL)
   INSERT INTO alerting.demand_buckets (dimension, value, currency, bucket_start, count, amount)
   SELECT dimension, value, currency, bucket_start, count(*), sum(amount) FROM dimensions
    GROUP BY dimension, value, currency, bucket_start
    ORDER BY dimension, value, bucket_start, currency
   ON CONFLICT (dimension, value, bucket_start, currency)
   DO UPDATE SET count = alerting.demand_buckets.count + EXCLUDED.count,
                 amount = alerting.demand_buckets.amount + EXCLUDED.amount`,
);
const prune = sql(
  'alerting.prune_demand_seen',
  `DELETE FROM alerting.demand_seen WHERE transaction_id IN (
     SELECT transaction_id FROM alerting.demand_seen WHERE seen_at < $1 LIMIT 10000)`,
);
const values = sql(
  'alerting.demand_values',
  `SELECT DISTINCT value FROM alerting.demand_buckets
    WHERE dimension = $1 AND bucket_start >= $2 AND ($3::text IS NULL OR currency = $3)
    ORDER BY value LIMIT 200`,
);
const series = sql(
  'alerting.demand_series',
  `SELECT bucket_start, CASE WHEN $4 = 'amount' THEN sum(amount)::float8 ELSE sum(count)::float8 END AS value
     FROM alerting.demand_buckets
    WHERE dimension = $1 AND value = $2 AND ($3::text IS NULL OR currency = $3)
      AND bucket_start >= $5 AND bucket_start < $6
    GROUP BY bucket_start ORDER BY bucket_start`,
);

@Injectable()
export class DemandRepository {
  private readonly writer: BatchWriter<DemandRow>;

  constructor(@Inject(Database) private readonly db: Database) {
    this.writer = new BatchWriter<DemandRow>(db, { write: (rows) => this.write(rows) });
  }

  /** Resolves once the transaction is counted (or known to be counted already). */
  add(row: DemandRow): Promise<void> {
    return this.writer.add(row);
  }

  private async write(rows: DemandRow[]): Promise<void> {
    await this.db.query(record, [
      rows.map((r) => r.transactionId),
      rows.map((r) => r.bucketStart),
      rows.map((r) => r.region),
      rows.map((r) => r.merchantCategory),
      rows.map((r) => r.transactionType),
      rows.map((r) => r.channel),
      rows.map((r) => r.currency),
      rows.map((r) => r.amount),
    ]);
  }

  async pruneSeen(olderThan: Date): Promise<void> {
    await this.db.query(prune, [olderThan]);
  }

  async valuesOf(dimension: DemandDimension, since: Date, currency?: string): Promise<string[]> {
    const rows = await this.db.query<{ value: string }>(values, [dimension, since, currency ?? null]);
    return rows.map((r) => r.value);
  }

  /** The series' value per interval in [from, to); intervals without transactions are absent. */
  async series(
    client: Tx,
    spec: { dimension: DemandDimension; value: string; metric: 'count' | 'amount'; currency?: string },
    from: Date,
    to: Date,
  ): Promise<{ bucket_start: Date; value: number }[]> {
    return run(client, series, [spec.dimension, spec.value, spec.currency ?? null, spec.metric, from, to]);
  }
}
