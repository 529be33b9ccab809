// Reads what a backtest replays: the stored scores of a time window in pages, with each one's feature vector,
// decision and current label.
import { Database, sql } from '@vigil/db';

/** One scored transaction as stored, with its current label (null when none). */
export interface ScoredTransactionRow {
  transaction_id: string;
  type: string;
  amount: string;
  currency: string;
  region: string;
  partner_id: string | null;
  origin_account: string;
  destination_account: string | null;
  occurred_at: Date;
  decision: 'approve' | 'review' | 'block';
  features: number[] | null;
  feature_set: string | null;
  label: 'fraud' | 'legitimate' | null;
  /** occurred_at as Postgres prints it, full precision, for the next page's key. */
  cursor_at: string;
}

export interface PageKey {
  occurredAt: string;
  transactionId: string;
}

const countScores = sql(
  'scorer.backtest_count_scores',
  `SELECT count(*)::int AS total FROM scorer.scores WHERE occurred_at >= $1 AND occurred_at < $2`,
);

const featureSets = sql('scorer.backtest_feature_sets', `SELECT feature_set, names FROM scorer.feature_sets`);

// keyset pages in (occurred_at, transaction_id) order: each page starts after the last row of the one before,
// so a long window is read in constant memory and rows scored meanwhile cannot shift the pages
const scoresPage = sql(
  'scorer.backtest_scores_page',
  `SELECT s.transaction_id, s.type, s.amount::text AS amount, s.currency, s.region, s.partner_id,
          s.origin_account, s.destination_account, s.occurred_at, s.occurred_at::text AS cursor_at,
          s.decision, s.features, s.feature_set, l.label
     FROM scorer.scores s
     LEFT JOIN scorer.labels l ON l.transaction_id = s.transaction_id
    WHERE s.occurred_at >= $1 AND s.occurred_at < $2
      AND (s.occurred_at, s.transaction_id) > ($3::timestamptz, $4::text)
    ORDER BY s.occurred_at, s.transaction_id
    LIMIT $5`,
);

export class BacktestRepository {
  constructor(private readonly db: Database) {}

  async countScores(from: Date, to: Date): Promise<number> {
    const [row] = await this.db.query<{ total: number }>(countScores, [from, to]);
    return row?.total ?? 0;
  }

  /** Feature names by feature set: a score's vector holds the values in this order. */
  async featureNames(): Promise<Map<string, string[]>> {
    const rows = await this.db.query<{ feature_set: string; names: string[] }>(featureSets);
    return new Map(rows.map((row) => [row.feature_set, row.names]));
  }

  /** The window's scores in pages of `pageSize`, oldest first. */
  async *scores(from: Date, to: Date, pageSize: number): AsyncGenerator<ScoredTransactionRow[]> {
    let after: PageKey = { occurredAt: from.toISOString(), transactionId: '' };
    for (;;) {
      const page = await this.db.query<ScoredTransactionRow>(scoresPage, [
        from,
        to,
        after.occurredAt,
        after.transactionId,
        pageSize,
      ]);
      if (page.length > 0) yield page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = { occurredAt: last.cursor_at, transactionId: last.transaction_id };
    }
  }
}
