// Reads the transaction, its verdict and its score from the tables ingest, validator and scorer own (read only).
import { Inject, Injectable } from '@nestjs/common';
import {
  Database,
  composeQuery,
  fragment,
  sql,
  type ComposedQuery,
  type Fragment,
  type Piece,
} from '@vigil/db';
import { TRANSACTION_KEY_SEPARATOR } from '@vigil/contracts';
import type { ReadScope } from '../auth/principal.js';
import type { TransactionFilters, TransactionStatus } from './transactions.dto.js';

export interface TransactionRow {
  transaction_id: string;
  status: TransactionStatus;
  score: number | null;
  score_reasons: unknown;
  validation_status: 'valid' | 'quarantined' | null;
  validation_reasons: unknown;
  region: string | null;
  partner_id: string | null;
  /** RFC 3339 text with microseconds: exact enough to be a keyset cursor. */
  received_at: string | null;
  amount: string | null;
  currency: string | null;
  type: string | null;
  /** The scorer's decision (approve, review, block); null until scored. */
  decision: string | null;
  /** The current label (scorer.labels): read for one transaction, not in lists. */
  label?: string | null;
  label_source?: string | null;
  labelled_at?: string | null;
  labelled_by?: string | null;
  labelled_by_role?: string | null;
  /** The accounts the transaction moves money between, as the record names them: for one transaction only. */
  origin_account?: string | null;
  destination_account?: string | null;
  /** The feature vector the score was computed from and its feature set's names; null for older scores. */
  features?: number[] | null;
  feature_names?: string[] | null;
}

/** A transaction of an account's or a payee's recent history. */
export interface HistoryRow {
  /** Whose history it belongs to: the payer's (origin) or the payee's (destination). */
  side: HistorySide;
  transaction_id: string;
  status: TransactionStatus;
  score: number | null;
  decision: string | null;
  received_at: string | null;
  amount: string | null;
  currency: string | null;
  type: string | null;
  label: string | null;
}

/** Whose history: the payer (origin account) or the payee, merchant or terminal (destination account). */
export type HistorySide = 'origin' | 'destination';

// The three rows of one transaction may land in any order (ingest's ledger is a consumer too), so one id
// is looked up in all three tables; the scope applies to whichever of them knows the partner and region.
const FIND_TRANSACTION = `SELECT coalesce(t.transaction_id, v.transaction_id, s.transaction_id) AS transaction_id,
          CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
          s.score::float8 AS score,
          s.reasons AS score_reasons,
          v.status AS validation_status,
          v.reasons AS validation_reasons,
          coalesce(t.region, v.region, s.region) AS region,
          coalesce(t.partner_id, v.partner_id, s.partner_id) AS partner_id,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          coalesce(t.record->>'amount', s.amount::text) AS amount,
          coalesce(t.record->>'currency', s.currency) AS currency,
          coalesce(t.record->>'type', s.type) AS type,
          s.decision,
          coalesce(s.origin_account, t.record->'origin'->>'account') AS origin_account,
          coalesce(s.destination_account, t.record->'destination'->>'account') AS destination_account,
          s.features,
          fs.names AS feature_names,
          l.label,
          l.source AS label_source,
          to_char(l.labelled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS labelled_at,
          l.labelled_by,
          l.labelled_by_role
     FROM (SELECT $1::text AS transaction_id) wanted
     LEFT JOIN ingest.transactions t ON t.transaction_id = wanted.transaction_id
     LEFT JOIN validator.results v ON v.transaction_id = wanted.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = wanted.transaction_id
     LEFT JOIN scorer.feature_sets fs ON fs.feature_set = s.feature_set
     LEFT JOIN scorer.labels l ON l.transaction_id = wanted.transaction_id
    WHERE coalesce(t.transaction_id, v.transaction_id, s.transaction_id) IS NOT NULL
      AND ($2::text IS NULL OR coalesce(t.partner_id, v.partner_id, s.partner_id) = $2)
      AND ($3::text[] IS NULL OR coalesce(t.region, v.region, s.region) = ANY($3))`;
const findTransaction = sql('gateway.find_transaction', FIND_TRANSACTION);

// A list page walks ingest's landing table newest first, in the caller's scope, on the index that leads with the
// equality filters present: (received_at), (partner_id,), (region,) or (partner_id, region,) then received_at,
// transaction_id (ingest migrations 001 and 005); from, to and the keyset cursor bound the walk on the same
// index. The verdict and the score of each row walked are probed by primary key (OFFSET 0 keeps each a probe,
// never a hash of a whole table), and the filters on them (status, min_score, type) keep the page's rows; the
// walk stops when the page is full, and after LIST_WALK_ROWS rows at most. A page therefore costs at most that
// many index rows and probes whatever the filters, and never a sort; when the walk ends before the page is full,
// the page says where it stopped (listWalkEndStatement) and the next one continues from there.
// Each filter is one fixed condition and a statement holds only the filters given, so every filter set is
// planned on its own: no catch-all `$n IS NULL OR ...` whose generic plan falls back to a scan and a sort.
export const LIST_WALK_ROWS = 2000;

const WALK_HEAD = `FROM ingest.transactions t
    WHERE`;
const WALK_ORDER = 'ORDER BY t.received_at DESC, t.transaction_id DESC';

const LIST_HEAD = `SELECT t.transaction_id,
          CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
          s.score::float8 AS score,
          s.reasons AS score_reasons,
          v.status AS validation_status,
          v.reasons AS validation_reasons,
          t.region,
          t.partner_id,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          coalesce(t.record->>'amount', s.amount::text) AS amount,
          coalesce(t.record->>'currency', s.currency) AS currency,
          coalesce(t.record->>'type', s.type) AS type,
          s.decision
     FROM (SELECT t.transaction_id, t.partner_id, t.region, t.received_at, t.record`;
const LIST_PROBES = `) t
     LEFT JOIN LATERAL (SELECT r.transaction_id, r.status, r.reasons FROM validator.results r
                         WHERE r.transaction_id = t.transaction_id OFFSET 0) v ON TRUE
     LEFT JOIN LATERAL (SELECT c.transaction_id, c.score, c.reasons, c.amount, c.currency, c.type, c.decision
                          FROM scorer.scores c WHERE c.transaction_id = t.transaction_id OFFSET 0) s ON TRUE
    WHERE`;

/** The conditions of the walk: scope, region and the received_at bounds, all on the landing table's indexes. */
function walkConditions(filters: TransactionFilters, scope: ReadScope): Fragment[] {
  const walk: Fragment[] = [];
  if (scope.partnerId !== null) walk.push(fragment('partner', 't.partner_id = $1', scope.partnerId));
  if (scope.regions !== null) walk.push(regionsCondition(scope.regions));
  if (filters.region !== undefined) walk.push(fragment('region', 't.region = $1', filters.region));
  if (filters.from !== undefined)
    walk.push(fragment('from', 't.received_at >= $1::timestamptz', filters.from));
  if (filters.to !== undefined) walk.push(fragment('to', 't.received_at < $1::timestamptz', filters.to));
  if (filters.cursor !== undefined)
    walk.push(
      fragment(
        'cursor',
        '(t.received_at, t.transaction_id) < ($1::timestamptz, $2::text)',
        filters.cursor.at,
        filters.cursor.id,
      ),
    );
  return walk;
}

/** The conditions on the verdict and the score, applied to the rows walked. */
function matchConditions(filters: TransactionFilters): Fragment[] {
  const match: Fragment[] = [];
  if (filters.type !== undefined)
    match.push(fragment('type', "coalesce(t.record->>'type', s.type) = $1", filters.type));
  if (filters.status !== undefined) match.push(statusCondition[filters.status]);
  if (filters.minScore !== undefined)
    match.push(fragment('min_score', 's.score >= $1::numeric', filters.minScore));
  return match;
}

/** The pieces of one list page: the scope's and the filters' conditions, in a fixed order. */
function listPieces(filters: TransactionFilters, scope: ReadScope): Piece[] {
  return [
    LIST_HEAD,
    WALK_HEAD,
    walkConditions(filters, scope),
    fragment('walk', `${WALK_ORDER}\n    LIMIT $1`, LIST_WALK_ROWS),
    LIST_PROBES,
    matchConditions(filters),
    fragment('page', `${WALK_ORDER}\n    LIMIT $1`, filters.limit),
  ];
}

/** The statement of one list page. */
export function listStatement(filters: TransactionFilters, scope: ReadScope): ComposedQuery {
  return composeQuery('gateway.list_transactions', listPieces(filters, scope));
}

// An export page is a list page whose rows PostgreSQL writes as CSV lines, so the gateway neither parses the
// columns nor writes the CSV: it passes the lines on. The page is a subquery (its LIMIT keeps it one), so each
// column is computed once and the line only refers to it. A field is quoted, its quotes doubled, when it holds a
// comma, a quote or a line break (RFC 4180): one test of the record's texts together tells whether any does,
// and only then is each one tested. Amounts are the record's text, scores as the list gives them; a partner reads
// its own ids (the scope is its own). The line ends before the reason codes: a row with reasons carries them as
// the list does (a row without any carries nothing to parse), and the gateway appends their codes, since a
// subquery per row to aggregate them cost PostgreSQL more than the rest of the line.
const NEEDS_QUOTES = `'[",\\r\\n]'`;
const quoted = (value: string): string =>
  `CASE WHEN ${value} ~ ${NEEDS_QUOTES} THEN '"' || replace(${value}, '"', '""') || '"' ELSE coalesce(${value}, '') END`;
const plain = (value: string): string => `coalesce(${value}, '')`;
const exportLine = (shownId: string): string => {
  const free = [shownId, 'page.region', 'page.partner_id', 'page.amount', 'page.currency', 'page.type'];
  const fields = (text: (value: string) => string): string =>
    [
      text(shownId),
      'page.status',
      "coalesce(page.score::text, '')",
      text('page.region'),
      text('page.partner_id'),
      "coalesce(page.received_at, '')",
      text('page.amount'),
      text('page.currency'),
      text('page.type'),
    ].join(" || ',' || ");
  return `CASE WHEN concat(${free.join(', ')}) ~ ${NEEDS_QUOTES}
            THEN ${fields(quoted)}
            ELSE ${fields(plain)} END AS line,
          CASE WHEN coalesce(page.score_reasons, '[]') <> '[]' OR coalesce(page.validation_reasons, '[]') <> '[]'
            THEN page.score_reasons END AS score_reasons,
          CASE WHEN coalesce(page.score_reasons, '[]') <> '[]' OR coalesce(page.validation_reasons, '[]') <> '[]'
            THEN page.validation_reasons END AS validation_reasons`;
};

/** The header of an export, and of every CSV line an export page holds. */
export const EXPORT_COLUMNS = [
  'transaction_id',
  'status',
  'score',
  'region',
  'partner_id',
  'received_at',
  'amount',
  'currency',
  'type',
  'reason_codes',
] as const;

/**
 * A row of an export page: its CSV line up to the reason codes, its reasons when it has any, and the key and time
 * the next page continues after.
 */
export interface ExportLine extends Pick<TransactionRow, 'score_reasons' | 'validation_reasons'> {
  transaction_id: string;
  received_at: string | null;
  line: string;
}

/** The statement of one export page: the list page's rows, each as its CSV line. */
export function exportStatement(filters: TransactionFilters, scope: ReadScope): ComposedQuery {
  // a partner reads the id after the key's last separator, as submittedTransactionId does
  const line =
    scope.partnerId === null
      ? fragment('line', exportLine('page.transaction_id'))
      : fragment(
          'line-partner',
          exportLine(`regexp_replace(page.transaction_id, '^.*${TRANSACTION_KEY_SEPARATOR}', '')`),
        );
  return composeQuery('gateway.export_transactions', [
    'SELECT page.transaction_id, page.received_at,',
    line,
    'FROM (',
    ...listPieces(filters, scope),
    ') page',
  ]);
}

/** The last row of a whole walk (the LIST_WALK_ROWS-th), or none when the walk reaches the end of the rows. */
export function listWalkEndStatement(filters: TransactionFilters, scope: ReadScope): ComposedQuery {
  return composeQuery('gateway.list_transactions_walk_end', [
    `SELECT to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, t.transaction_id AS id`,
    WALK_HEAD,
    walkConditions(filters, scope),
    fragment('walk', `${WALK_ORDER}\n    OFFSET $1 LIMIT 1`, LIST_WALK_ROWS - 1),
  ]);
}

// A scope of one region is an equality, which the (region, received_at) index returns in order; `= ANY` of
// an array is not read in order, whatever its length.
const regionsCondition = (regions: readonly string[]): Fragment =>
  regions.length === 1
    ? fragment('scope-region', 't.region = $1', regions[0])
    : fragment('regions', 't.region = ANY($1::text[])', regions);

// A status is where the transaction stands: scored once a score exists, else its verdict, else accepted.
const statusCondition: Record<TransactionStatus, Fragment> = {
  scored: fragment('status=scored', 's.transaction_id IS NOT NULL'),
  valid: fragment('status=valid', "s.transaction_id IS NULL AND v.status = 'valid'"),
  quarantined: fragment('status=quarantined', "s.transaction_id IS NULL AND v.status = 'quarantined'"),
  accepted: fragment('status=accepted', 's.transaction_id IS NULL AND v.transaction_id IS NULL'),
};

// The recent transactions of one account as payer (origin) or as payee (destination), the viewed one excluded,
// in the caller's scope, read in the same statement as the viewed transaction (one round trip, one pooled
// connection for as long as the statement runs). An account name is its partner's own, so a history stays
// within the viewed transaction's partner. Ingest's account indexes serve each side (migration 004), probed with
// the account the found row names; the side picks the expression, the rest of the branch is shared. Each side
// takes its latest rows from ingest alone (every condition is on ingest's row) and only those few are joined to
// their score, label and, when unscored, verdict; the rows come back as one JSON array.
const HISTORY_COLUMNS = `t.transaction_id,
          CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
          s.score::float8 AS score,
          s.decision,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          coalesce(t.record->>'amount', s.amount::text) AS amount,
          coalesce(t.record->>'currency', s.currency) AS currency,
          coalesce(t.record->>'type', s.type) AS type,
          l.label
     FROM (SELECT t.transaction_id, t.received_at, t.record
             FROM ingest.transactions t
            WHERE`;
const HISTORY_HEADS: Record<HistorySide, string> = {
  origin: `(SELECT 'origin'::text AS side, ${HISTORY_COLUMNS}
            t.record->'origin'->>'account' = found.origin_account
      AND`,
  destination: `(SELECT 'destination'::text AS side, ${HISTORY_COLUMNS}
            t.record->'destination'->>'account' = found.destination_account
      AND`,
};
const HISTORY_SAME_PARTNER = `t.partner_id IS NOT DISTINCT FROM found.partner_id
      AND t.transaction_id <> found.transaction_id
      AND`;
// A history row shows where its transaction stands, and a score says it alone: the verdict is looked up only for
// a row without one (OFFSET 0 keeps the lookup a subquery, so its condition on the score is a one-time filter that
// skips the probe for a scored row instead of a join filter applied after it).
const HISTORY_TAIL = `ORDER BY t.received_at DESC, t.transaction_id DESC
            LIMIT $1) t
     LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
     LEFT JOIN LATERAL (SELECT r.transaction_id, r.status FROM validator.results r
                         WHERE s.transaction_id IS NULL AND r.transaction_id = t.transaction_id OFFSET 0) v ON TRUE
     LEFT JOIN scorer.labels l ON l.transaction_id = t.transaction_id
    ORDER BY t.received_at DESC, t.transaction_id DESC)`;

/** The viewed transaction in scope and both its accounts' latest `limit` other transactions, in one statement. */
export function transactionWithHistoryStatement(id: string, scope: ReadScope, limit: number): ComposedQuery {
  const scoped: Fragment[] = [];
  if (scope.partnerId !== null) scoped.push(fragment('scope-partner', 't.partner_id = $1', scope.partnerId));
  if (scope.regions !== null) scoped.push(regionsCondition(scope.regions));
  const pieces: Piece[] = [
    'WITH found AS (',
    fragment('transaction', FIND_TRANSACTION, id, scope.partnerId, scope.regions),
    `)
    SELECT found.*, coalesce(histories.history, '[]'::json) AS history
      FROM found
      LEFT JOIN LATERAL (
        SELECT json_agg(h ORDER BY h.side, h.received_at DESC, h.transaction_id DESC) AS history
          FROM (`,
  ];
  for (const side of ['origin', 'destination'] as const) {
    if (side === 'destination') pieces.push('UNION ALL');
    pieces.push(
      HISTORY_HEADS[side],
      HISTORY_SAME_PARTNER,
      scoped,
      fragment(`${side}-page`, HISTORY_TAIL, limit),
    );
  }
  pieces.push(') h) histories ON TRUE');
  return composeQuery('gateway.transaction_with_history', pieces);
}

/** The accounts a transaction moves money between, by side, as its record names them. */
export function accountsOf(row: TransactionRow): Partial<Record<HistorySide, string>> {
  return {
    ...(row.origin_account ? { origin: row.origin_account } : {}),
    ...(row.destination_account ? { destination: row.destination_account } : {}),
  };
}

@Injectable()
export class TransactionsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * One transaction in scope and, when `historyLimit` > 0, the latest `historyLimit` other transactions of each
   * of its accounts at its partner, in scope: one statement either way.
   */
  async find(
    id: string,
    scope: ReadScope,
    historyLimit = 0,
  ): Promise<{ row: TransactionRow; history: HistoryRow[] } | undefined> {
    if (historyLimit === 0) {
      const [row] = await this.db.query<TransactionRow>(findTransaction, [
        id,
        scope.partnerId,
        scope.regions,
      ]);
      return row ? { row, history: [] } : undefined;
    }
    const { query, values } = transactionWithHistoryStatement(id, scope, historyLimit);
    const [found] = await this.db.query<TransactionRow & { history: HistoryRow[] }>(query, values);
    if (!found) return undefined;
    const { history, ...row } = found;
    return { row, history };
  }

  /** One page, and where its walk stopped when the walk ended before the page was full. */
  list(filters: TransactionFilters, scope: ReadScope): Promise<TransactionPage> {
    return this.page<TransactionRow>(listStatement(filters, scope), filters, scope);
  }

  /** One page of an export as CSV lines, and where its walk stopped as for a list page. */
  exportPage(filters: TransactionFilters, scope: ReadScope): Promise<TransactionPage<ExportLine>> {
    return this.page<ExportLine>(exportStatement(filters, scope), filters, scope);
  }

  private async page<Row extends PageRow>(
    { query, values }: ComposedQuery,
    filters: TransactionFilters,
    scope: ReadScope,
  ): Promise<TransactionPage<Row>> {
    const rows = await this.db.query<Row>(query, values);
    // without filters on the verdict or score every row walked is on the page: a short page is the end
    if (rows.length === filters.limit || matchConditions(filters).length === 0) return { rows };
    const end = listWalkEndStatement(filters, scope);
    const [walkedOn] = await this.db.query<{ at: string; id: string }>(end.query, end.values);
    return { rows, ...(walkedOn ? { walkedOn } : {}) };
  }
}

/** What a page's keyset needs of its rows: the stored key and the time it was received. */
export type PageRow = Pick<TransactionRow, 'transaction_id' | 'received_at'>;

export interface TransactionPage<Row extends PageRow = TransactionRow> {
  rows: Row[];
  /** The last row walked, when the walk ended before the page was full: the next page continues after it. */
  walkedOn?: { at: string; id: string };
}
