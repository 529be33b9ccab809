// Everything a partition owner reads and writes in Postgres. One commit per batch holds the partition
// offset (fenced by epoch), the accounts' new state, the feature halves and the scores, so a crash or a
// lost lease at any point leaves either all of a batch or none of it. The batch's scores are published
// inside that transaction, after the scores are written and before it commits: a replay after a failed
// commit computes the same scores, and JetStream drops the second publish of each by its msg id.
import { Inject, Injectable } from '@nestjs/common';
import type { ScorerDecision, TransactionScored } from '@vigil/contracts';
import { Database, sql } from '@vigil/db';
import type pg from 'pg';
import type { AccountState } from '../features/account-state.js';
import { FEATURE_NAMES, FEATURE_SET } from '../features/features.js';
import { KnownFraudLabels } from '../features/known-fraud.js';

const claimPartition = sql(
  'scorer.claim_partition',
  `INSERT INTO scorer.partitions (partition, epoch, last_seq, owner, claimed_at)
   VALUES ($1, $2, 0, $3, now())
   ON CONFLICT (partition) DO UPDATE SET epoch = EXCLUDED.epoch, owner = EXCLUDED.owner, claimed_at = now()
     WHERE scorer.partitions.epoch < EXCLUDED.epoch
   RETURNING last_seq`,
);
const advancePartition = sql(
  'scorer.advance_partition',
  `UPDATE scorer.partitions SET last_seq = $3 WHERE partition = $1 AND epoch = $2`,
);
const loadStates = sql(
  'scorer.load_account_states',
  `SELECT account, state FROM scorer.account_state WHERE account = ANY($1::text[])`,
);
// the second half of a transaction may be computed by another partition's owner at the same moment:
// locking the ids first makes one of the two see the other's half
const lockTransactions = sql(
  'scorer.lock_transactions',
  `SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(id, 0) AS k FROM unnest($1::text[]) id) ids ORDER BY k`,
);
// A decision made before the stream stored the transaction's score: the commit that stores the score takes it
const heldDecisions = sql(
  'scorer.held_decisions',
  `SELECT transaction_id, decision, features FROM scorer.decisions WHERE transaction_id = ANY($1::text[])`,
);
const dropDecisions = sql(
  'scorer.drop_decisions',
  `DELETE FROM scorer.decisions WHERE transaction_id = ANY($1::text[])`,
);
const lockTransaction = sql(
  'scorer.lock_transaction',
  `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
);
const storedScore = sql(
  'scorer.stored_score',
  `SELECT score::float8 AS score, reasons, decision, model_version, policy_version,
          to_char(scored_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS scored_at, shadow
     FROM scorer.scores WHERE transaction_id = $1`,
);
const heldDecision = sql(
  'scorer.held_decision',
  `SELECT decision FROM scorer.decisions WHERE transaction_id = $1`,
);
const keepDecision = sql(
  'scorer.keep_decision',
  `INSERT INTO scorer.decisions (transaction_id, decision, features) VALUES ($1, $2, $3::float8[])`,
);
// The halves of the batch whose other half is waiting: taken (read and removed) at once, since each is joined now.
// A waiting row that holds the same half (a replay) stays, and the batch's own insert of it does nothing.
const takeWaitingHalves = sql(
  'scorer.take_waiting_feature_halves',
  `DELETE FROM scorer.feature_halves h
    USING unnest($1::text[], $2::text[]) AS w(transaction_id, role)
    WHERE h.transaction_id = w.transaction_id
      AND CASE w.role WHEN 'origin' THEN h.destination IS NOT NULL ELSE h.origin IS NOT NULL END
   RETURNING h.transaction_id, h.origin, h.destination`,
);
// Everything the batch writes, in one statement: the accounts' new state, the halves that wait for their other
// half, and the scores (an empty array writes nothing)
const writeBatch = sql(
  'scorer.write_batch',
  `WITH states AS (
     INSERT INTO scorer.account_state (account, state, updated_at)
     SELECT a, s, now() FROM unnest($1::text[], $2::jsonb[]) AS t(a, s)
     ON CONFLICT (account) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
   ), halves AS (
     INSERT INTO scorer.feature_halves (transaction_id, origin, destination)
     SELECT * FROM unnest($3::text[], $4::jsonb[], $5::jsonb[])
     ON CONFLICT (transaction_id) DO NOTHING
   )
   INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region,
                              partner_id, origin_account, destination_account, occurred_at, scored_at,
                              decision, policy_version, shadow, features, feature_set)
   SELECT id, score, reasons, model, type, amount, currency, region, partner, origin, destination, occurred,
          scored, decision, policy, shadow, features::float8[], $23::text
     FROM unnest($6::text[], $7::numeric[], $8::jsonb[], $9::text[], $10::text[], $11::numeric[], $12::text[],
                 $13::text[], $14::text[], $15::text[], $16::text[], $17::timestamptz[], $18::timestamptz[],
                 $19::text[], $20::integer[], $21::jsonb[], $22::text[])
       AS t(id, score, reasons, model, type, amount, currency, region, partner, origin, destination, occurred,
            scored, decision, policy, shadow, features)
   ON CONFLICT (transaction_id) DO NOTHING`,
);
const registerFeatureSet = sql(
  'scorer.register_feature_set',
  `INSERT INTO scorer.feature_sets (feature_set, names) VALUES ($1, $2) ON CONFLICT (feature_set) DO NOTHING`,
);
// the fraud labels of a batch's entities that a feature may count: of transactions in the 30 days before the
// batch's earliest, given no later than its latest (each feature then keeps those known at its own record's time)
const fraudLabels = sql(
  'scorer.fraud_labels_of_entities',
  `SELECT origin_key, destination_key, occurred_at, labelled_at FROM scorer.labels
    WHERE label = 'fraud' AND occurred_at > $3 AND labelled_at <= $4
      AND (origin_key = ANY($1::text[]) OR destination_key = ANY($2::text[]))`,
);
export type FeatureHalfRole = 'origin' | 'destination';

export interface FeatureHalf {
  transactionId: string;
  role: FeatureHalfRole;
  vector: number[];
}

export interface JoinedHalves {
  transactionId: string;
  origin: number[];
  destination: number[];
}

export interface BatchCommit {
  partition: number;
  epoch: number;
  lastSeq: number;
  states: Map<string, AccountState>;
  halves: FeatureHalf[];
  /** Scores complete within this partition. */
  scored: TransactionScored[];
  /** Scores the joins completed by this commit, given both halves; runs inside the transaction. */
  scoreJoined(joined: JoinedHalves[]): TransactionScored[];
  /** Publishes the batch's scores; runs inside the transaction, before it commits. */
  publish(scored: TransactionScored[]): Promise<void>;
  /** The feature vector a score was computed from, stored with it. */
  featuresOf(transactionId: string): ArrayLike<number> | undefined;
}

/** `fenced` when the lease was lost: nothing of the batch was written. */
export type CommitResult = { fenced: boolean; scored: number };

class PartitionFencedError extends Error {
  constructor(partition: number) {
    super(`partition ${partition} is held by a newer epoch`);
  }
}

const run = (client: pg.PoolClient, query: { name: string; text: string }, values: unknown[]) =>
  client.query({ name: query.name, text: query.text, values });

@Injectable()
export class PartitionRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Takes the partition for `epoch`; the offset to resume after, or undefined when a newer epoch holds it. */
  async claim(partition: number, epoch: number, owner: string): Promise<number | undefined> {
    const [row] = await this.db.query<{ last_seq: string }>(claimPartition, [partition, epoch, owner]);
    return row ? Number(row.last_seq) : undefined;
  }

  async loadStates(accounts: string[]): Promise<Map<string, AccountState>> {
    const rows = await this.db.query<{ account: string; state: AccountState }>(loadStates, [accounts]);
    return new Map(rows.map((r) => [r.account, r.state]));
  }

  /** Fraud labels of the entities' transactions since `sinceMs`, given by `untilMs`. */
  async loadFraudLabels(
    origins: readonly string[],
    destinations: readonly string[],
    sinceMs: number,
    untilMs: number,
  ): Promise<KnownFraudLabels> {
    const labels = new KnownFraudLabels();
    if (origins.length === 0 && destinations.length === 0) return labels;
    const rows = await this.db.query<{
      origin_key: string | null;
      destination_key: string | null;
      occurred_at: Date;
      labelled_at: Date;
    }>(fraudLabels, [origins, destinations, new Date(sinceMs), new Date(untilMs)]);
    for (const row of rows) {
      labels.add({
        origin: row.origin_key,
        destination: row.destination_key,
        occurredAt: row.occurred_at.getTime(),
        knownAt: row.labelled_at.getTime(),
      });
    }
    return labels;
  }

  async commit(batch: BatchCommit): Promise<CommitResult> {
    try {
      return await this.write(batch);
    } catch (error) {
      if (error instanceof PartitionFencedError) return { fenced: true, scored: 0 };
      throw error;
    }
  }

  private async write(batch: BatchCommit): Promise<CommitResult> {
    const result = await this.db.transaction(async (client) => {
      // first, so a replica that lost its lease fails here before writing anything else
      const advanced = await run(client, advancePartition, [batch.partition, batch.epoch, batch.lastSeq]);
      if (advanced.rowCount === 0) throw new PartitionFencedError(batch.partition);
      const scored = [...batch.scored];
      // every id of the batch locked at once, in one order: a decision taken meanwhile for one of them is either
      // committed before (and found below) or waits, then finds the score stored
      const locked = [
        ...batch.halves.map((h) => h.transactionId),
        ...scored.map((s) => s.transaction.transaction_id),
      ];
      if (locked.length > 0) await run(client, lockTransactions, [locked]);
      const first: FeatureHalf[] = [];
      if (batch.halves.length > 0) {
        const waiting = new Map(
          (
            (
              await run(client, takeWaitingHalves, [
                batch.halves.map((h) => h.transactionId),
                batch.halves.map((h) => h.role),
              ])
            ).rows as { transaction_id: string; origin: number[] | null; destination: number[] | null }[]
          ).map((r) => [r.transaction_id, r]),
        );
        const joined: JoinedHalves[] = [];
        for (const half of batch.halves) {
          const other = waiting.get(half.transactionId);
          const otherVector = other ? (half.role === 'origin' ? other.destination : other.origin) : null;
          if (otherVector) {
            joined.push({
              transactionId: half.transactionId,
              origin: half.role === 'origin' ? half.vector : otherVector,
              destination: half.role === 'destination' ? half.vector : otherVector,
            });
          } else {
            first.push(half);
          }
        }
        if (joined.length > 0) scored.push(...batch.scoreJoined(joined));
      }
      const decided: HeldDecisions =
        scored.length > 0 ? await takeDecisions(client, scored) : new Map<string, HeldDecision>();
      const featuresOf = (id: string) => decided.get(id)?.features ?? batch.featuresOf(id);
      if (scored.length > 0 && !this.featureSetRegistered)
        await run(client, registerFeatureSet, [FEATURE_SET, FEATURE_NAMES]);
      if (batch.states.size > 0 || first.length > 0 || scored.length > 0) {
        const accounts = [...batch.states.keys()];
        // the write first: a score the database refuses is never published
        await run(client, writeBatch, [
          accounts,
          accounts.map((a) => JSON.stringify(batch.states.get(a))),
          first.map((h) => h.transactionId),
          first.map((h) => (h.role === 'origin' ? JSON.stringify(h.vector) : null)),
          first.map((h) => (h.role === 'destination' ? JSON.stringify(h.vector) : null)),
          ...scoreColumns(scored, featuresOf),
        ]);
      }
      if (scored.length > 0) await batch.publish(scored);
      return { fenced: false, scored: scored.length };
    }, 'commit scores');
    if (result.scored > 0) this.featureSetRegistered = true;
    return result;
  }

  private featureSetRegistered = false;

  /**
   * Keeps `scored` as the transaction's decision, for the stream to store, and returns it; or returns what is
   * already there: the stream's stored score, or a decision taken before (a retry, or another owner's).
   */
  async recordDecision(scored: TransactionScored, features: ArrayLike<number>): Promise<ScorerDecision> {
    const id = scored.transaction.transaction_id;
    return this.db.transaction(async (client) => {
      await run(client, lockTransaction, [id]);
      // a score stored without a shadow model has shadow null, which the decision leaves out
      const [stored] = (await run(client, storedScore, [id])).rows as (Omit<ScorerDecision, 'shadow'> & {
        shadow: ScorerDecision['shadow'] | null;
      })[];
      if (stored) {
        const { shadow, ...rest } = stored;
        return { ...rest, ...(shadow ? { shadow } : {}) };
      }
      const [held] = (await run(client, heldDecision, [id])).rows as { decision: ScorerDecision }[];
      if (held) return held.decision;
      const decision = decisionOf(scored);
      await run(client, keepDecision, [id, JSON.stringify(decision), vectorLiteral(features)]);
      return decision;
    }, 'record decision');
  }
}

/** What the caller is told and the stream stores: the score as scorer.scores holds it (four decimals). */
export function decisionOf(scored: TransactionScored): ScorerDecision {
  return {
    score: storedScoreOf(scored.score),
    reasons: scored.reasons,
    decision: scored.decision,
    model_version: scored.model_version,
    policy_version: scored.policy_version,
    scored_at: scored.scored_at,
    ...(scored.shadow ? { shadow: scored.shadow } : {}),
  };
}

/** numeric(5, 4), as Postgres rounds a float8 into it: to 15 significant digits, then half away from zero. */
const storedScoreOf = (score: number): number => Math.round(Number(score.toPrecision(15)) * 1e4) / 1e4;

/**
 * The decisions held for the batch's scores, in place of what the batch computed: each score becomes the one its
 * caller was given, and its held row goes. Runs inside the commit, after the ids are locked.
 */
type HeldDecision = { features: number[] | null };
type HeldDecisions = Map<string, HeldDecision>;

async function takeDecisions(client: pg.PoolClient, scored: TransactionScored[]): Promise<HeldDecisions> {
  const ids = scored.map((s) => s.transaction.transaction_id);
  const rows = (await run(client, heldDecisions, [ids])).rows as {
    transaction_id: string;
    decision: ScorerDecision;
    features: number[] | null;
  }[];
  const decided = new Map(rows.map((r) => [r.transaction_id, r]));
  if (decided.size === 0) return new Map();
  for (let i = 0; i < scored.length; i++) {
    const held = decided.get(ids[i]!);
    if (!held) continue;
    const { shadow, ...decision } = held.decision;
    const { shadow: _computed, ...own } = scored[i]!;
    scored[i] = { ...own, ...decision, ...(shadow ? { shadow } : {}) };
  }
  await run(client, dropDecisions, [[...decided.keys()]]);
  return decided;
}

/** A vector as a float8[] literal: JavaScript prints each number exactly as it parses back. */
const vectorLiteral = (vector: ArrayLike<number> | undefined): string | null =>
  vector === undefined ? null : `{${Array.from(vector).join(',')}}`;

function scoreColumns(
  rows: TransactionScored[],
  featuresOf: (transactionId: string) => ArrayLike<number> | undefined,
): unknown[] {
  const t = rows.map((r) => r.transaction);
  return [
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
    rows.map((r) => r.decision),
    rows.map((r) => r.policy_version),
    rows.map((r) => (r.shadow ? JSON.stringify(r.shadow) : null)),
    t.map((x) => vectorLiteral(featuresOf(x.transaction_id))),
    FEATURE_SET,
  ];
}
