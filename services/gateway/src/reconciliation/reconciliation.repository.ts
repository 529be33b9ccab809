// Counts each accepted transaction through the pipeline's tables (ingest -> validator -> scorer), read only. Every
// statement is bounded: a received_at range on ingest.transactions' index, primary-key lookups in the later
// stages, a limit on the ids named, and a statement timeout.
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

// the pipeline is done with an id once it is scored or quarantined; anything else is still on its way or lost
const stageCounts = sql(
  'gateway.reconciliation_counts',
  `SELECT count(*)::int AS accepted,
          count(r.transaction_id)::int AS validated,
          count(*) FILTER (WHERE r.status = 'valid')::int AS valid,
          count(*) FILTER (WHERE r.status = 'quarantined')::int AS quarantined,
          count(s.transaction_id)::int AS scored,
          count(*) FILTER (WHERE s.transaction_id IS NULL AND r.status IS DISTINCT FROM 'quarantined'
                             AND t.received_at >= $3)::int AS in_flight,
          count(*) FILTER (WHERE s.transaction_id IS NULL AND r.transaction_id IS NULL
                             AND t.received_at < $3)::int AS missing_validation,
          count(*) FILTER (WHERE s.transaction_id IS NULL AND r.status = 'valid'
                             AND t.received_at < $3)::int AS missing_score
     FROM ingest.transactions t
     LEFT JOIN validator.results r ON r.transaction_id = t.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
    WHERE t.received_at >= $1 AND t.received_at < $2`,
);

const missingIds = sql(
  'gateway.reconciliation_missing_ids',
  `SELECT t.transaction_id, t.source, t.partner_id, t.region,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          CASE WHEN r.transaction_id IS NULL THEN 'validator' ELSE 'scorer' END AS stuck_at
     FROM ingest.transactions t
     LEFT JOIN validator.results r ON r.transaction_id = t.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
    WHERE t.received_at >= $1 AND t.received_at < $2
      AND s.transaction_id IS NULL AND r.status IS DISTINCT FROM 'quarantined'
    ORDER BY t.received_at, t.transaction_id
    LIMIT $3`,
);

export interface StageCounts {
  accepted: number;
  validated: number;
  valid: number;
  quarantined: number;
  scored: number;
  /** Neither scored nor quarantined, received within the grace period: still on its way. */
  in_flight: number;
  /** Received before the grace period, no verdict. */
  missing_validation: number;
  /** Received before the grace period, valid, no score. */
  missing_score: number;
}

export interface MissingRow {
  transaction_id: string;
  source: string;
  partner_id: string | null;
  region: string | null;
  received_at: string;
  stuck_at: 'validator' | 'scorer';
}

export interface ReconciliationRange {
  from: Date;
  to: Date;
  /** Ids received before this and neither scored nor quarantined are missing. */
  graceCutoff: Date;
  limit: number;
}

/** How long one reconciliation statement may run before Postgres cancels it. */
const STATEMENT_TIMEOUT_MS = 30_000;

@Injectable()
export class ReconciliationRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Both statements in one read-only transaction, so the counts and the ids agree. */
  async reconcile(range: ReconciliationRange): Promise<{ counts: StageCounts; missing: MissingRow[] }> {
    return this.db.transaction(async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${STATEMENT_TIMEOUT_MS}`);
      const { rows: counts } = await client.query<StageCounts>(stageCounts.text, [
        range.from,
        range.to,
        range.graceCutoff,
      ]);
      const { rows: missing } = await client.query<MissingRow>(missingIds.text, [
        range.from,
        range.graceCutoff < range.to ? range.graceCutoff : range.to,
        range.limit,
      ]);
      return { counts: counts[0]!, missing };
    });
  }
}
