// The audit log in Postgres: appends serialised on the chain head, verification of the whole chain,
// monthly partitions with retention, and legal holds.
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type pg from 'pg';
import { GENESIS_HASH, chain, rowHash, type AuditEntry, type ChainedRow } from './audit-chain.js';

/** The end of the chain, locked for the rest of the transaction, and the time appended rows get. */
export interface ChainHead {
  lastSeq: number;
  lastHash: string;
  at: string;
}

const AT_TEXT = `to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

// clock_timestamp(), not now(): the time once the lock is held, so timestamps rise with seq across replicas
export const lockHead = sql(
  'validator.lock_audit_head',
  `SELECT last_seq, last_hash,
          to_char(date_trunc('milliseconds', clock_timestamp()) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS at
     FROM validator.audit_head FOR UPDATE`,
);

const appendRows = sql(
  'validator.append_audit',
  `WITH appended AS (
     INSERT INTO validator.audit_log (seq, at, kind, subject, payload, prev_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
   )
   UPDATE validator.audit_head SET last_seq = $8, last_hash = $9`,
);

const readHead = sql('validator.read_audit_head', `SELECT last_seq, last_hash FROM validator.audit_head`);
const latestCheckpoint = sql(
  'validator.latest_audit_checkpoint',
  `SELECT seq, hash, partition_name FROM validator.audit_checkpoints ORDER BY seq DESC LIMIT 1`,
);
const readChain = sql(
  'validator.read_audit_chain',
  `SELECT seq, ${AT_TEXT} AS at, kind, subject, payload, prev_hash, hash, tableoid::regclass::text AS partition
     FROM validator.audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
);
const ensurePartitions = sql(
  'validator.ensure_audit_partitions',
  `SELECT validator.ensure_audit_partitions($1::date, $2) AS created`,
);
const dropExpired = sql(
  'validator.drop_expired_audit_partitions',
  `SELECT partition_name, last_seq, row_count FROM validator.drop_expired_audit_partitions($1)`,
);
const listPartitions = sql(
  'validator.list_audit_partitions',
  `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'validator.audit_log'::regclass ORDER BY c.relname`,
);
const insertHold = sql(
  'validator.place_legal_hold',
  `INSERT INTO validator.legal_holds (reason, covers_from, covers_to, placed_by)
   VALUES ($1, $2, $3, $4)
   RETURNING hold_id::text, reason, covers_from, covers_to, placed_by, placed_at, released_by, released_at`,
);
const releaseHold = sql(
  'validator.release_legal_hold',
  `UPDATE validator.legal_holds SET released_by = $2, released_at = now()
    WHERE hold_id = $1::uuid AND released_at IS NULL
   RETURNING hold_id::text, reason, covers_from, covers_to, placed_by, placed_at, released_by, released_at`,
);
const selectHolds = sql(
  'validator.list_legal_holds',
  `SELECT hold_id::text, reason, covers_from, covers_to, placed_by, placed_at, released_by, released_at
     FROM validator.legal_holds ORDER BY placed_at`,
);

export interface LegalHold {
  hold_id: string;
  reason: string;
  covers_from: Date;
  covers_to: Date;
  placed_by: string;
  placed_at: Date;
  released_by: string | null;
  released_at: Date | null;
}

export interface VerifyProblem {
  seq: number;
  partition?: string;
  at?: string;
  kind?: string;
  subject?: string;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  rows: number;
  firstSeq?: number;
  lastSeq?: number;
  /** Where the chain starts when old partitions were dropped. */
  resumedAfter?: { seq: number; partition: string };
  problems: VerifyProblem[];
}

const VERIFY_PAGE = 10_000;
const MAX_PROBLEMS = 100;

@Injectable()
export class AuditLog {
  constructor(@Inject(Database) private readonly db: Database) {}

  static async lockHead(client: pg.PoolClient): Promise<ChainHead> {
    const { rows } = await client.query<{ last_seq: string; last_hash: string; at: string }>(lockHead.text);
    const head = rows[0]!;
    return { lastSeq: Number(head.last_seq), lastHash: head.last_hash, at: head.at };
  }

  /** Appends in the caller's transaction, after lockHead(); returns the chained rows. */
  static async append(
    client: pg.PoolClient,
    head: ChainHead,
    entries: readonly AuditEntry[],
  ): Promise<ChainedRow[]> {
    if (entries.length === 0) return [];
    const rows = chain(entries, head.lastSeq, head.lastHash, head.at);
    const last = rows.at(-1)!;
    await client.query(appendRows.text, [
      rows.map((r) => r.seq),
      rows.map((r) => r.at),
      rows.map((r) => r.kind),
      rows.map((r) => r.subject),
      rows.map((r) => r.payload),
      rows.map((r) => r.prevHash),
      rows.map((r) => r.hash),
      last.seq,
      last.hash,
    ]);
    head.lastSeq = last.seq;
    head.lastHash = last.hash;
    return rows;
  }

  /**
   * Appends entries in a transaction of their own. `at` fixes their timestamp instead of the clock (used to
   * fill past partitions, e.g. in retention tests); it must not lie before the chain's last row.
   */
  async appendEntries(entries: readonly AuditEntry[], options: { at?: Date } = {}): Promise<ChainedRow[]> {
    return this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      if (options.at) head.at = options.at.toISOString();
      return AuditLog.append(client, head, entries);
    });
  }

  /** Walks the chain from its start (or the last retention checkpoint) to the head, recomputing every hash. */
  async verify(onProgress?: (rows: number) => void): Promise<VerifyReport> {
    const [checkpoint] = await this.db.query<{ seq: string; hash: string; partition_name: string }>(
      latestCheckpoint,
    );
    const [head] = await this.db.query<{ last_seq: string; last_hash: string }>(readHead);
    const problems: VerifyProblem[] = [];
    const report = (problem: VerifyProblem) => {
      if (problems.length < MAX_PROBLEMS) problems.push(problem);
    };
    let expectedSeq = checkpoint ? Number(checkpoint.seq) + 1 : 1;
    let expectedPrev = checkpoint ? checkpoint.hash : GENESIS_HASH;
    let rows = 0;
    let firstSeq: number | undefined;
    let after = expectedSeq - 1;
    for (;;) {
      const page = await this.db.query<{
        seq: string;
        at: string;
        kind: string;
        subject: string;
        payload: string;
        prev_hash: string;
        hash: string;
        partition: string;
      }>(readChain, [after, VERIFY_PAGE]);
      for (const row of page) {
        const seq = Number(row.seq);
        firstSeq ??= seq;
        rows++;
        const where = { seq, partition: row.partition, at: row.at, kind: row.kind, subject: row.subject };
        if (seq === expectedSeq - 1) {
          report({ ...where, problem: `a second row with seq ${seq}: a row was inserted into the chain` });
          continue;
        }
        if (seq > expectedSeq) {
          report({
            ...where,
            problem:
              seq - expectedSeq === 1
                ? `row ${expectedSeq} is missing: it was deleted`
                : `rows ${expectedSeq} to ${seq - 1} are missing: they were deleted`,
          });
        } else if (row.prev_hash !== expectedPrev) {
          report({
            ...where,
            problem: `row ${seq} does not follow row ${seq - 1}: prev_hash differs from its hash`,
          });
        }
        const recomputed = rowHash({
          seq,
          at: row.at,
          kind: row.kind,
          subject: row.subject,
          payload: row.payload,
          prevHash: row.prev_hash,
        });
        if (recomputed !== row.hash)
          report({ ...where, problem: `row ${seq} was altered: its content no longer matches its hash` });
        expectedSeq = seq + 1;
        expectedPrev = row.hash;
      }
      onProgress?.(rows);
      if (page.length < VERIFY_PAGE) break;
      after = Number(page.at(-1)!.seq);
    }
    const headSeq = Number(head?.last_seq ?? 0);
    if (headSeq > expectedSeq - 1) {
      report({
        seq: expectedSeq,
        problem: `rows ${expectedSeq} to ${headSeq} are missing: the chain head is at ${headSeq}`,
      });
    } else if (head && head.last_hash !== expectedPrev && headSeq === expectedSeq - 1) {
      report({ seq: headSeq, problem: `the chain head's hash differs from row ${headSeq}'s` });
    } else if (headSeq < expectedSeq - 1) {
      report({
        seq: headSeq + 1,
        problem: `rows after ${headSeq} lie beyond the chain head: they were inserted`,
      });
    }
    return {
      ok: problems.length === 0,
      rows,
      ...(firstSeq !== undefined ? { firstSeq, lastSeq: expectedSeq - 1 } : {}),
      ...(checkpoint
        ? { resumedAfter: { seq: Number(checkpoint.seq), partition: checkpoint.partition_name } }
        : {}),
      problems,
    };
  }

  /** Creates the monthly partitions from `from`'s month on; appends to a month without one fail. */
  async ensurePartitions(from: Date, months: number): Promise<number> {
    const [row] = await this.db.query<{ created: number }>(ensurePartitions, [
      from.toISOString().slice(0, 10),
      months,
    ]);
    return row?.created ?? 0;
  }

  async partitions(): Promise<string[]> {
    return (await this.db.query<{ name: string }>(listPartitions)).map((r) => r.name);
  }

  /**
   * Drops the partitions that ended `retentionMonths` ago or earlier, oldest first, up to the first one a legal
   * hold covers; records what was dropped in the log itself.
   */
  async applyRetention(
    retentionMonths: number,
    by: string,
    now = new Date(),
  ): Promise<{ partition: string; rows: number }[]> {
    const cutoff = new Date(now);
    cutoff.setUTCMonth(cutoff.getUTCMonth() - retentionMonths);
    return this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      const { rows } = await client.query<{
        partition_name: string;
        last_seq: string | null;
        row_count: string;
      }>(dropExpired.text, [cutoff]);
      const dropped = rows.map((r) => ({ partition: r.partition_name, rows: Number(r.row_count) }));
      if (dropped.length > 0) {
        await AuditLog.append(client, head, [
          {
            kind: 'retention.dropped',
            subject: dropped.map((d) => d.partition).join(','),
            payload: {
              partitions: dropped,
              cutoff: cutoff.toISOString(),
              retention_months: retentionMonths,
              by,
            },
          },
        ]);
      }
      return dropped;
    });
  }

  async placeHold(reason: string, from: Date, to: Date, by: string): Promise<LegalHold> {
    return this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      const { rows } = await client.query<LegalHold>(insertHold.text, [reason, from, to, by]);
      const hold = rows[0]!;
      await AuditLog.append(client, head, [
        {
          kind: 'legal_hold.placed',
          subject: hold.hold_id,
          payload: { reason, covers_from: from.toISOString(), covers_to: to.toISOString(), by },
        },
      ]);
      return hold;
    });
  }

  async releaseHold(holdId: string, by: string): Promise<LegalHold | undefined> {
    return this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      const { rows } = await client.query<LegalHold>(releaseHold.text, [holdId, by]);
      const hold = rows[0];
      if (hold)
        await AuditLog.append(client, head, [
          { kind: 'legal_hold.released', subject: holdId, payload: { by } },
        ]);
      return hold;
    });
  }

  holds(): Promise<LegalHold[]> {
    return this.db.query<LegalHold>(selectHolds);
  }
}
