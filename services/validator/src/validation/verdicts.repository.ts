// Records verdicts: one transaction per batch of records takes the audit chain's head, settles duplicates
// against what is already recorded, and writes results, quarantine, data-quality windows and audit rows
// together. A redelivered message finds its own verdict and gets it back unchanged.
import { hash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  partnerScoped,
  submittedTransactionId,
  type Reason,
  type TransactionAccepted,
} from '@vigil/contracts';
import { BatchWriter, Database, sql } from '@vigil/db';
import type pg from 'pg';
import { chain, type AuditEntry } from '../audit/audit-chain.js';
import { AuditLog, type ChainHead } from '../audit/audit-log.js';
import { fingerprintKey, type ContentClaim, type Judgement } from '../rules/rule-engine.js';
import type { DuplicateRule } from '../rules/rule-set.compiler.js';

export type VerdictStatus = 'valid' | 'quarantined';

/** What was recorded for a message: new, found again (a redelivery), or a repeat of a judged transaction id. */
export interface RecordedVerdict {
  outcome: 'new' | 'redelivered' | 'duplicate';
  status: VerdictStatus;
  /** Warnings of a valid record, errors of a quarantined one. */
  reasons: Reason[];
  ruleSetVersion: string;
  /** When the verdict was recorded (RFC 3339). */
  validatedAt: string;
  /** The message repeated a transaction id judged before (its verdict is not the transaction's). */
  repeat: boolean;
}

export interface ReplayVerdict extends Omit<RecordedVerdict, 'outcome' | 'repeat'> {
  /** released: the replay passed; requarantined: it failed again; refused: the record was not held any more. */
  outcome: 'released' | 'requarantined' | 'refused' | 'redelivered';
  /** The replay attempt whose verdict this is (for a redelivery, the one recorded first). */
  attempt: number;
}

interface Pending {
  accepted: TransactionAccepted;
  streamSeq: number;
  judgement: Judgement;
  recorded?: RecordedVerdict;
}

/** A region as it partitions windows: the record's when it is an ISO code, else XX. */
export const regionOf = (record: Record<string, unknown>): string =>
  typeof record.region === 'string' && /^[A-Z]{2}$/.test(record.region) ? record.region : 'XX';

const AT = `to_char(validated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const findVerdicts = sql(
  'validator.find_verdicts',
  `SELECT transaction_id, stream_seq, status, reasons, rule_set_version, ${AT} AS validated_at
     FROM validator.results WHERE transaction_id = ANY($1)`,
);
const findDuplicateMessages = sql(
  'validator.find_duplicate_messages',
  `SELECT stream_seq, reasons, rule_set_version,
          to_char(detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS detected_at
     FROM validator.duplicate_messages WHERE stream_seq = ANY($1)`,
);
// The first transaction with a fingerprint owns it until it expires; then the next one takes it over.
const claimFingerprints = sql(
  'validator.claim_fingerprints',
  `INSERT INTO validator.fingerprints AS f (rule_id, fingerprint, transaction_id, first_seen, expires_at)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
   ON CONFLICT (rule_id, fingerprint) DO UPDATE SET
     transaction_id = CASE WHEN f.expires_at <= excluded.first_seen THEN excluded.transaction_id ELSE f.transaction_id END,
     first_seen     = CASE WHEN f.expires_at <= excluded.first_seen THEN excluded.first_seen ELSE f.first_seen END,
     expires_at     = CASE WHEN f.expires_at <= excluded.first_seen THEN excluded.expires_at ELSE f.expires_at END
   RETURNING rule_id, fingerprint, transaction_id`,
);
const writeBatch = sql(
  'validator.write_verdicts',
  `WITH results AS (
     INSERT INTO validator.results
       (transaction_id, status, reasons, rule_set_version, source, partner_id, region, validated_at, stream_seq)
     SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::text[], $6::text[], $7::text[],
                          $8::timestamptz[], $9::bigint[])
     ON CONFLICT (transaction_id) DO NOTHING
   ), quarantine AS (
     INSERT INTO validator.quarantine
       (transaction_id, record, reasons, source, partner_id, quarantined_at, region, rule_set_version)
     SELECT * FROM unnest($10::text[], $11::jsonb[], $12::jsonb[], $13::text[], $14::text[], $15::timestamptz[],
                          $16::text[], $17::text[])
     ON CONFLICT (transaction_id) DO NOTHING
   ), duplicates AS (
     INSERT INTO validator.duplicate_messages
       (stream_seq, transaction_id, first_stream_seq, source, reasons, rule_set_version, detected_at)
     SELECT * FROM unnest($18::bigint[], $19::text[], $20::bigint[], $21::text[], $22::jsonb[], $23::text[],
                          $24::timestamptz[])
     ON CONFLICT (stream_seq) DO NOTHING
   ), windows AS (
     INSERT INTO validator.dq_windows AS w (window_start, source, region, records, passed, warned, quarantined)
     SELECT * FROM unnest($25::timestamptz[], $26::text[], $27::text[], $28::int[], $29::int[], $30::int[], $31::int[])
     ON CONFLICT (window_start, source, region) DO UPDATE SET
       records = w.records + excluded.records, passed = w.passed + excluded.passed,
       warned = w.warned + excluded.warned, quarantined = w.quarantined + excluded.quarantined
   ), failures AS (
     INSERT INTO validator.dq_rule_failures AS f (window_start, source, region, rule_id, failures)
     SELECT * FROM unnest($32::timestamptz[], $33::text[], $34::text[], $35::text[], $36::int[])
     ON CONFLICT (window_start, source, region, rule_id) DO UPDATE SET failures = f.failures + excluded.failures
   ), audit AS (
     INSERT INTO validator.audit_log (seq, at, kind, subject, payload, prev_hash, hash)
     SELECT * FROM unnest($37::bigint[], $38::timestamptz[], $39::text[], $40::text[], $41::text[], $42::text[],
                          $43::text[])
   )
   UPDATE validator.audit_head SET last_seq = $44, last_hash = $45`,
);
const lockReplayed = sql(
  'validator.lock_replayed',
  `SELECT q.replay_attempt, q.released_at IS NOT NULL AS released, r.status, r.reasons, r.rule_set_version,
          r.replay_attempt AS verdict_attempt, to_char(r.validated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS validated_at
     FROM validator.quarantine q JOIN validator.results r USING (transaction_id)
    WHERE q.transaction_id = $1
      FOR UPDATE`,
);
const updateReplayedResult = sql(
  'validator.update_replayed_result',
  `UPDATE validator.results
      SET status = $2, reasons = $3, rule_set_version = $4, validated_at = $5, stream_seq = $6, replay_attempt = $7
    WHERE transaction_id = $1`,
);
const releaseQuarantined = sql(
  'validator.release_quarantined',
  `UPDATE validator.quarantine SET replay_attempt = $2, released_at = $3 WHERE transaction_id = $1`,
);
const requarantine = sql(
  'validator.requarantine',
  `UPDATE validator.quarantine
      SET replay_attempt = $2, record = $3, reasons = $4, rule_set_version = $5, quarantined_at = $6
    WHERE transaction_id = $1`,
);
const markReplayHandled = sql(
  'validator.mark_replay_handled',
  `UPDATE validator.quarantine SET replay_attempt = $2 WHERE transaction_id = $1`,
);

interface StoredVerdict {
  transaction_id: string;
  stream_seq: string | null;
  status: VerdictStatus;
  reasons: Reason[];
  rule_set_version: string;
  validated_at: string;
}

const minuteOf = (at: string): string => `${at.slice(0, 16)}:00.000Z`;

@Injectable()
export class VerdictsRepository {
  private readonly writer: BatchWriter<Pending>;

  constructor(@Inject(Database) private readonly db: Database) {
    this.writer = new BatchWriter(db, { write: (rows) => this.write(rows) });
  }

  /** Resolves once the verdict is committed, with what was recorded for this message. */
  async record(
    accepted: TransactionAccepted,
    streamSeq: number,
    judgement: Judgement,
  ): Promise<RecordedVerdict> {
    const pending: Pending = { accepted, streamSeq, judgement };
    await this.writer.add(pending);
    return pending.recorded!;
  }

  private async write(batch: Pending[]): Promise<void> {
    await this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      const { rows: stored } = await client.query<StoredVerdict>(findVerdicts.text, [
        [...new Set(batch.map((p) => p.accepted.transaction_id))],
      ]);
      const verdicts = new Map(stored.map((v) => [v.transaction_id, v]));
      const repeats = batch.filter((p) => {
        const known = verdicts.get(p.accepted.transaction_id);
        return known !== undefined && Number(known.stream_seq) !== p.streamSeq;
      });
      const recordedRepeats = new Map<number, RecordedVerdict>();
      if (repeats.length > 0) {
        const { rows } = await client.query<{
          stream_seq: string;
          reasons: Reason[];
          rule_set_version: string;
          detected_at: string;
        }>(findDuplicateMessages.text, [repeats.map((p) => p.streamSeq)]);
        for (const row of rows)
          recordedRepeats.set(Number(row.stream_seq), {
            outcome: 'redelivered',
            status: 'quarantined',
            reasons: row.reasons,
            ruleSetVersion: row.rule_set_version,
            validatedAt: row.detected_at,
            repeat: true,
          });
      }

      const fresh: Pending[] = [];
      const duplicates: { pending: Pending; first: StoredVerdict | Pending }[] = [];
      const sameMessage: { pending: Pending; first: Pending }[] = [];
      const firstInBatch = new Map<string, Pending>();
      for (const pending of batch) {
        const id = pending.accepted.transaction_id;
        const known = verdicts.get(id);
        if (known && Number(known.stream_seq) === pending.streamSeq) {
          pending.recorded = {
            outcome: 'redelivered',
            status: known.status,
            reasons: known.reasons,
            ruleSetVersion: known.rule_set_version,
            validatedAt: known.validated_at,
            repeat: false,
          };
        } else if (known) {
          const again = recordedRepeats.get(pending.streamSeq);
          if (again) pending.recorded = again;
          else duplicates.push({ pending, first: known });
        } else {
          const first = firstInBatch.get(id);
          // the same message twice in one batch (a synchronous decision's validation and the stream's delivery
          // of that message, at once): one verdict, given to both
          if (first?.streamSeq === pending.streamSeq) sameMessage.push({ pending, first });
          else if (first) duplicates.push({ pending, first });
          else {
            firstInBatch.set(id, pending);
            fresh.push(pending);
          }
        }
      }
      if (fresh.length === 0 && duplicates.length === 0) return;

      const contentDuplicates = await this.claimContent(client, fresh);
      const entries: AuditEntry[] = [];
      const windows = new Windows();
      for (const pending of fresh) {
        const { judgement, accepted } = pending;
        let status: VerdictStatus = judgement.verdict.status;
        let reasons =
          judgement.verdict.status === 'valid' ? judgement.verdict.warnings : judgement.verdict.reasons;
        const failed = [...judgement.failedRules];
        for (const found of contentDuplicates.get(pending) ?? []) {
          failed.push(found.code);
          if (found.severity === 'error') {
            // a quarantined record's reasons are its errors; its warnings stay out
            reasons = status === 'valid' ? [found] : [...reasons, found];
            status = 'quarantined';
          } else if (status === 'valid') reasons = [...reasons, found];
        }
        pending.recorded = {
          outcome: 'new',
          status,
          reasons,
          ruleSetVersion: judgement.ruleSetVersion,
          validatedAt: head.at,
          repeat: false,
        };
        windows.count(head.at, accepted, status, reasons.length > 0, failed);
        entries.push(validationEntry('validation', pending, pending.recorded));
      }
      for (const { pending, first } of duplicates) {
        const rule = pending.judgement.idRule;
        const firstSeq = 'streamSeq' in first ? first.streamSeq : Number(first.stream_seq);
        // a repeat is always the same partner's (the key holds the partner): name the id it sent
        const repeatedId = submittedTransactionId(pending.accepted.transaction_id);
        const reason: Reason = {
          code: rule?.id ?? 'duplicate.id',
          field: 'transaction_id',
          message: (rule?.message ?? 'transaction_id {actual} was already validated')
            .replaceAll('{actual}', repeatedId)
            .replaceAll('{expected}', String(firstSeq)),
          severity: 'error',
          expected: 'a transaction_id not validated before',
          actual: repeatedId,
        };
        pending.recorded = {
          outcome: 'duplicate',
          status: 'quarantined',
          reasons: [reason],
          ruleSetVersion: pending.judgement.ruleSetVersion,
          validatedAt: head.at,
          repeat: true,
        };
        windows.count(head.at, pending.accepted, 'quarantined', true, [reason.code]);
        const entry = validationEntry('duplicate', pending, pending.recorded);
        entries.push({ ...entry, payload: { ...entry.payload, first_stream_seq: firstSeq } });
      }
      await this.writeAll(client, head, fresh, duplicates, windows, entries);
      for (const { pending, first } of sameMessage)
        pending.recorded = { ...first.recorded!, outcome: 'redelivered' };
    }, 'record verdicts');
  }

  /** Claims the content fingerprints of new records; returns the duplicate reasons each one gets. */
  private async claimContent(client: pg.PoolClient, fresh: Pending[]): Promise<Map<Pending, Reason[]>> {
    const found = new Map<Pending, Reason[]>();
    const claims: { pending: Pending; claim: ContentClaim; slot: string }[] = [];
    // the first record of the batch with a fingerprint is the one that claims it
    const first = new Map<string, { pending: Pending; claim: ContentClaim; key: string }>();
    for (const pending of fresh)
      for (const claim of pending.judgement.claims) {
        // fingerprints are claimed per partner: another tenant's payment is never this record's duplicate
        const key = partnerScoped(pending.accepted.partner_id, fingerprintKey(claim));
        const slot = `${claim.rule.id}|${key}`;
        if (!first.has(slot)) first.set(slot, { pending, claim, key });
        claims.push({ pending, claim, slot });
      }
    if (claims.length === 0) return found;
    const claimed = [...first.values()];
    const seen = claimed.map((c) => Date.parse(c.pending.accepted.received_at));
    const { rows } = await client.query<{ rule_id: string; fingerprint: string; transaction_id: string }>(
      claimFingerprints.text,
      [
        claimed.map((c) => c.claim.rule.id),
        claimed.map((c) => c.key),
        claimed.map((c) => c.pending.accepted.transaction_id),
        seen.map((at) => new Date(at)),
        claimed.map((c, i) => new Date(seen[i]! + (c.claim.rule.windowMs ?? 0))),
      ],
    );
    const owners = new Map(rows.map((row) => [`${row.rule_id}|${row.fingerprint}`, row.transaction_id]));
    for (const { pending, claim, slot } of claims) {
      const owner = owners.get(slot)!;
      if (owner === pending.accepted.transaction_id) continue;
      const list = found.get(pending) ?? [];
      list.push(contentReason(claim.rule, claim.severity, submittedTransactionId(owner)));
      found.set(pending, list);
    }
    return found;
  }

  private async writeAll(
    client: pg.PoolClient,
    head: ChainHead,
    fresh: Pending[],
    duplicates: { pending: Pending; first: StoredVerdict | Pending }[],
    windows: Windows,
    entries: AuditEntry[],
  ): Promise<void> {
    const held = fresh.filter((p) => p.recorded!.status === 'quarantined');
    const audit = chain(entries, head.lastSeq, head.lastHash, head.at);
    const last = audit.at(-1)!;
    const record = (p: Pending) => p.accepted.record as Record<string, unknown>;
    const windowRows = windows.rows();
    const failureRows = windows.failureRows();
    await client.query(writeBatch.text, [
      fresh.map((p) => p.accepted.transaction_id),
      fresh.map((p) => p.recorded!.status),
      fresh.map((p) => JSON.stringify(p.recorded!.reasons)),
      fresh.map((p) => p.recorded!.ruleSetVersion),
      fresh.map((p) => p.accepted.source),
      fresh.map((p) => p.accepted.partner_id ?? null),
      fresh.map((p) => (typeof record(p).region === 'string' ? record(p).region : null)),
      fresh.map(() => head.at),
      fresh.map((p) => p.streamSeq),
      held.map((p) => p.accepted.transaction_id),
      held.map((p) => JSON.stringify(p.accepted.record)),
      held.map((p) => JSON.stringify(p.recorded!.reasons)),
      held.map((p) => p.accepted.source),
      held.map((p) => p.accepted.partner_id ?? null),
      held.map(() => head.at),
      held.map((p) => (typeof record(p).region === 'string' ? record(p).region : null)),
      held.map((p) => p.recorded!.ruleSetVersion),
      duplicates.map((d) => d.pending.streamSeq),
      duplicates.map((d) => d.pending.accepted.transaction_id),
      duplicates.map((d) => ('streamSeq' in d.first ? d.first.streamSeq : Number(d.first.stream_seq))),
      duplicates.map((d) => d.pending.accepted.source),
      duplicates.map((d) => JSON.stringify(d.pending.recorded!.reasons)),
      duplicates.map((d) => d.pending.recorded!.ruleSetVersion),
      duplicates.map(() => head.at),
      windowRows.map((w) => w.windowStart),
      windowRows.map((w) => w.source),
      windowRows.map((w) => w.region),
      windowRows.map((w) => w.records),
      windowRows.map((w) => w.passed),
      windowRows.map((w) => w.warned),
      windowRows.map((w) => w.quarantined),
      failureRows.map((f) => f.windowStart),
      failureRows.map((f) => f.source),
      failureRows.map((f) => f.region),
      failureRows.map((f) => f.rule),
      failureRows.map((f) => f.failures),
      audit.map((r) => r.seq),
      audit.map((r) => r.at),
      audit.map((r) => r.kind),
      audit.map((r) => r.subject),
      audit.map((r) => r.payload),
      audit.map((r) => r.prevHash),
      audit.map((r) => r.hash),
      last.seq,
      last.hash,
    ]);
  }

  /**
   * Records the verdict on a replayed record, at most once per attempt: a replay that passes releases the
   * record (its verdict becomes valid); one that fails again updates its reasons; a record no longer held
   * is refused, so a transaction passes (and is scored) once however often it is replayed.
   */
  async recordReplay(
    accepted: TransactionAccepted,
    streamSeq: number,
    judgement: Judgement,
  ): Promise<ReplayVerdict> {
    const attempt = accepted.replay!.attempt;
    const id = accepted.transaction_id;
    return this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      const { rows } = await client.query<{
        replay_attempt: number;
        released: boolean;
        status: VerdictStatus;
        reasons: Reason[];
        rule_set_version: string;
        verdict_attempt: number | null;
        validated_at: string;
      }>(lockReplayed.text, [id]);
      const held = rows[0];
      const stored = (outcome: ReplayVerdict['outcome']): ReplayVerdict => ({
        outcome,
        attempt: held?.verdict_attempt ?? attempt,
        status: held!.status,
        reasons: held!.reasons,
        ruleSetVersion: held!.rule_set_version,
        validatedAt: held!.validated_at,
      });
      // handled before: only the attempt that produced the current verdict publishes it (again)
      if (held && held.replay_attempt >= attempt)
        return stored(held.verdict_attempt === attempt ? 'redelivered' : 'refused');
      const refusal = (why: string): ReplayVerdict => ({
        outcome: 'refused',
        attempt,
        status: held?.status ?? 'quarantined',
        reasons: [{ code: 'replay.refused', field: 'transaction_id', message: why, severity: 'error' }],
        ruleSetVersion: judgement.ruleSetVersion,
        validatedAt: head.at,
      });
      let verdict: ReplayVerdict;
      if (!held) verdict = refusal(`transaction ${id} is not in quarantine`);
      else if (held.released) {
        verdict = refusal(`transaction ${id} was already released from quarantine`);
        await client.query(markReplayHandled.text, [id, attempt]);
      } else {
        const pending: Pending = { accepted, streamSeq, judgement };
        const duplicates = (await this.claimContent(client, [pending])).get(pending) ?? [];
        const errors = duplicates.filter((d) => d.severity === 'error');
        const passes = judgement.verdict.status === 'valid' && errors.length === 0;
        const reasons = passes
          ? [...(judgement.verdict.status === 'valid' ? judgement.verdict.warnings : []), ...duplicates]
          : [...(judgement.verdict.status === 'quarantined' ? judgement.verdict.reasons : []), ...errors];
        verdict = {
          outcome: passes ? 'released' : 'requarantined',
          attempt,
          status: passes ? 'valid' : 'quarantined',
          reasons,
          ruleSetVersion: judgement.ruleSetVersion,
          validatedAt: head.at,
        };
        await client.query(updateReplayedResult.text, [
          id,
          verdict.status,
          JSON.stringify(reasons),
          verdict.ruleSetVersion,
          head.at,
          streamSeq,
          attempt,
        ]);
        if (passes) await client.query(releaseQuarantined.text, [id, attempt, head.at]);
        else
          await client.query(requarantine.text, [
            id,
            attempt,
            JSON.stringify(accepted.record),
            JSON.stringify(reasons),
            verdict.ruleSetVersion,
            head.at,
          ]);
      }
      const entry = validationEntry('replay', { accepted, streamSeq, judgement }, verdict);
      await AuditLog.append(client, head, [
        {
          ...entry,
          payload: {
            ...entry.payload,
            attempt,
            outcome: verdict.outcome,
            requested_by: accepted.replay!.requested_by,
          },
        },
      ]);
      return verdict;
    }, 'record replay verdict');
  }
}

function contentReason(rule: DuplicateRule, severity: 'error' | 'warn', owner: string): Reason {
  return {
    code: rule.id,
    message: rule.message.replaceAll('{expected}', owner),
    severity,
    expected: `no other transaction with this content within ${Math.round((rule.windowMs ?? 0) / 60_000)}m`,
    actual: `same content as ${owner}`,
  };
}

function validationEntry(
  kind: 'validation' | 'duplicate' | 'replay',
  pending: Pending,
  verdict: Pick<RecordedVerdict, 'status' | 'reasons' | 'ruleSetVersion'>,
): AuditEntry {
  const { accepted } = pending;
  const record = accepted.record as Record<string, unknown>;
  return {
    kind,
    subject: accepted.transaction_id,
    payload: {
      status: verdict.status,
      reasons: verdict.reasons.map((r) => r.code),
      rule_set_version: verdict.ruleSetVersion,
      source: accepted.source,
      ...(accepted.partner_id ? { partner_id: accepted.partner_id } : {}),
      region: regionOf(record),
      stream_seq: pending.streamSeq,
      // what was judged, without keeping a second copy of the record
      record_sha256: hash('sha256', JSON.stringify(accepted.record), 'hex'),
    },
  };
}

/** Verdict counts per minute, source and region, and failures per rule, for one batch. */
class Windows {
  private readonly windows = new Map<
    string,
    {
      windowStart: string;
      source: string;
      region: string;
      records: number;
      passed: number;
      warned: number;
      quarantined: number;
    }
  >();
  private readonly failures = new Map<
    string,
    { windowStart: string; source: string; region: string; rule: string; failures: number }
  >();

  count(
    at: string,
    accepted: TransactionAccepted,
    status: VerdictStatus,
    flagged: boolean,
    failedRules: string[],
  ): void {
    const windowStart = minuteOf(at);
    const region = regionOf(accepted.record);
    const key = `${windowStart}|${accepted.source}|${region}`;
    let window = this.windows.get(key);
    if (!window) {
      window = {
        windowStart,
        source: accepted.source,
        region,
        records: 0,
        passed: 0,
        warned: 0,
        quarantined: 0,
      };
      this.windows.set(key, window);
    }
    window.records++;
    if (status === 'valid') {
      window.passed++;
      if (flagged) window.warned++;
    } else window.quarantined++;
    for (const rule of new Set(failedRules)) {
      const ruleKey = `${key}|${rule}`;
      const failure = this.failures.get(ruleKey);
      if (failure) failure.failures++;
      else this.failures.set(ruleKey, { windowStart, source: accepted.source, region, rule, failures: 1 });
    }
  }

  rows() {
    return [...this.windows.values()];
  }

  failureRows() {
    return [...this.failures.values()];
  }
}
