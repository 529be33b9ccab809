// Reads what the scorer stored, for training on history: every score with the feature vector it was computed
// from and the transaction's current label, in event order, a page at a time.
import { Database, sql } from '@vigil/db';

const featureSets = sql(
  'scorer.feature_sets_for_training',
  `SELECT feature_set, names FROM scorer.feature_sets ORDER BY created_at, feature_set`,
);
// keyset pages in event order, ties by id in byte order: the same order every run, whatever the page size or
// the database's collation
const scoresPage = sql(
  'scorer.training_scores_page',
  `SELECT s.transaction_id, s.occurred_at, s.occurred_at::text AS occurred_key, s.partner_id, s.origin_account, s.destination_account,
          s.amount::float8 AS amount, s.features, s.feature_set, l.label, l.labelled_at
     FROM scorer.scores s LEFT JOIN scorer.labels l USING (transaction_id)
    WHERE s.occurred_at >= $1 AND s.occurred_at < $2
      AND (s.occurred_at, s.transaction_id COLLATE "C") > ($3::timestamptz, $4::text COLLATE "C")
    ORDER BY s.occurred_at, s.transaction_id COLLATE "C"
    LIMIT $5`,
);

/** One stored score, as training needs it. Times are epoch ms. */
export interface StoredScore {
  transactionId: string;
  occurredAt: number;
  partnerId: string | null;
  originAccount: string;
  destinationAccount: string | null;
  amount: number;
  /** The vector stored with the score, or null for a score from before vectors were kept. */
  features: number[] | null;
  featureSet: string | null;
  label: 'fraud' | 'legitimate' | null;
  labelledAt: number | null;
}

interface ScoreRow {
  transaction_id: string;
  occurred_at: Date;
  /** The exact stored instant (microseconds), for the next page's key. */
  occurred_key: string;
  partner_id: string | null;
  origin_account: string;
  destination_account: string | null;
  amount: number;
  features: number[] | null;
  feature_set: string | null;
  label: 'fraud' | 'legitimate' | null;
  labelled_at: Date | null;
}

const PAGE = 20_000;

export class TrainingSetRepository {
  constructor(private readonly db: Database) {}

  /** Feature set names, oldest first. */
  async featureSets(): Promise<Map<string, string[]>> {
    const rows = await this.db.query<{ feature_set: string; names: string[] }>(featureSets);
    return new Map(rows.map((r) => [r.feature_set, r.names]));
  }

  /** Scores of transactions that occurred in [from, to), in event order. */
  async *scores(fromMs: number, toMs: number): AsyncGenerator<StoredScore[]> {
    let after: [string, string] = ['-infinity', ''];
    for (;;) {
      const rows = await this.db.query<ScoreRow>(scoresPage, [
        new Date(fromMs),
        new Date(toMs),
        after[0],
        after[1],
        PAGE,
      ]);
      if (rows.length === 0) return;
      yield rows.map((r) => ({
        transactionId: r.transaction_id,
        occurredAt: r.occurred_at.getTime(),
        partnerId: r.partner_id,
        originAccount: r.origin_account,
        destinationAccount: r.destination_account,
        amount: r.amount,
        features: r.features,
        featureSet: r.feature_set,
        label: r.label,
        labelledAt: r.labelled_at ? r.labelled_at.getTime() : null,
      }));
      const last = rows[rows.length - 1]!;
      after = [last.occurred_key, last.transaction_id];
      if (rows.length < PAGE) return;
    }
  }
}
