// A large stored history in one statement, for query-plan tests and the API bench: `count` transactions written
// straight into the tables the pipeline fills (ingest's landing table, the validator's verdicts, the scorer's
// scores), spread over partners, regions, types and 90 days the way a running suite leaves them. The newest few
// are still in flight (accepted, or valid but not yet scored); one in 41 is quarantined.

/** The partners the rows belong to; every fifth row has none (a record submitted without a partner). */
export const STORED_PARTNERS = ['partner-a', 'partner-b', 'partner-c', 'partner-d'] as const;
export const STORED_REGIONS = ['NG', 'KE', 'GH', 'ZA', 'UG'] as const;

const SEED_STORED_TRANSACTIONS = `
WITH src AS MATERIALIZED (
  SELECT i,
         p.partner_id,
         CASE WHEN p.partner_id IS NULL THEN 'seed-' || i ELSE p.partner_id || '~seed-' || i END AS transaction_id,
         (ARRAY['NG','KE','GH','ZA','UG'])[1 + (i / 5) % 5] AS region,
         (ARRAY['CASH_OUT','PAYMENT','CASH_IN','TRANSFER','DEBIT'])[1 + (i / 25) % 5] AS type,
         ((i::bigint * 7919) % 2000000) / 100.0 AS amount,
         now() - make_interval(secs => ($1::int - i) * (7776000.0 / $1::int)) AS received_at,
         ((i::bigint * 7907) % 10000) / 10000.0 AS score,
         i > $1::int - 20 AS in_flight,
         i > $1::int - 50 AS unscored,
         i % 41 = 7 AS quarantined
    FROM generate_series(1, $1::int) AS i
    CROSS JOIN LATERAL (SELECT (ARRAY['partner-a','partner-b','partner-c','partner-d',NULL])[1 + i % 5] AS partner_id) p
), landed AS (
  INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
  SELECT transaction_id, 'api', partner_id, region, received_at,
         jsonb_build_object(
           'type', type, 'amount', amount::text, 'currency', 'NGN',
           'origin', jsonb_build_object('account', 'C' || (i % 50000)),
           'destination', jsonb_build_object('account', 'M' || (i % 20000)))
    FROM src
), judged AS (
  INSERT INTO validator.results (transaction_id, status, reasons, rule_set_version, source, partner_id, region, validated_at)
  SELECT transaction_id,
         CASE WHEN quarantined THEN 'quarantined' ELSE 'valid' END,
         CASE WHEN quarantined
              THEN '[{"code":"AMOUNT_RANGE","message":"amount out of range","field":"amount","severity":"error"}]'::jsonb
              ELSE '[]'::jsonb END,
         '1', 'api', partner_id, region, received_at + interval '5 milliseconds'
    FROM src WHERE NOT in_flight
), scored AS (
  INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region,
                             partner_id, origin_account, destination_account, occurred_at, scored_at,
                             decision, policy_version)
  SELECT transaction_id, score,
         CASE WHEN score >= 0.8 THEN '[{"code":"VELOCITY","message":"burst of transfers"}]'::jsonb ELSE '[]'::jsonb END,
         'seed', type, amount, 'NGN', region, partner_id, 'C' || (i % 50000), 'M' || (i % 20000),
         received_at, received_at + interval '9 milliseconds',
         CASE WHEN score >= 0.9 THEN 'block' WHEN score >= 0.7 THEN 'review' ELSE 'approve' END, 1
    FROM src WHERE NOT unscored AND NOT quarantined
)
SELECT count(*)::int AS n FROM src`;

const SEEDED_TABLES = ['ingest.transactions', 'validator.results', 'scorer.scores'];

// The secondary indexes of the seeded tables, as the migrations created them (not those behind a constraint).
const SECONDARY_INDEXES = `
SELECT format('%I.%I', i.schemaname, i.indexname) AS name, i.indexdef AS definition
  FROM pg_indexes i
  JOIN pg_class c ON c.relname = i.indexname
  JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = i.schemaname
 WHERE format('%s.%s', i.schemaname, i.tablename) = ANY($1::text[])
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)`;

/**
 * Writes `count` stored transactions (see above) and refreshes the planner's statistics of their tables. The
 * secondary indexes are dropped for the load and built again from their own definitions afterwards, which is
 * several times faster than maintaining them row by row; the tables end as the migrations left them.
 */
export async function seedStoredTransactions(
  query: (text: string, values?: unknown[]) => Promise<unknown[]>,
  count: number,
): Promise<void> {
  const indexes = (await query(SECONDARY_INDEXES, [SEEDED_TABLES])) as { name: string; definition: string }[];
  for (const { name } of indexes) await query(`DROP INDEX ${name}`);
  await query(SEED_STORED_TRANSACTIONS, [count]);
  for (const { definition } of indexes) await query(definition);
  await query(`ANALYZE ${SEEDED_TABLES.join(', ')}`);
}
