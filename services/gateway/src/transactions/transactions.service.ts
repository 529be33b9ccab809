import { ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import {
  Requests,
  SUBMISSION_ENVELOPE_RESERVE_BYTES,
  inspectRecord,
  partIdempotencyKey,
  planParts,
  refusalReason,
  refusalStatusOf,
  type IngestDecideReply,
  type IngestSubmitReply,
  type IngestSubmitRequest,
  type LabelValue,
  type RecordRefusal,
  type SubmissionResult,
} from '@vigil/contracts';
import { JetStreamClient, type NatsClient } from '@vigil/messaging';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { databaseBusy } from '@vigil/db';
import { readScopeOf, regionRefusal, type Principal, type ReadScope } from '../auth/principal.js';
import { ProblemException } from '../http/problem.js';
import { MAX_RECORDS_PER_REQUEST } from './transactions.dto.js';
import { encodeCursor } from '../http/query.js';
import { RetryLaterException } from '../http/api-exception.filter.js';
import { requestService } from '../http/service-request.js';
import { SerialisedJson } from '../http/serialised-json.js';
import type {
  AccountHistoryDto,
  Decision,
  DecisionDto,
  ExportFilters,
  TransactionHistoryDto,
  TransactionViewOptions,
  ReasonDto,
  SubmittedRecord,
  Submission,
  TransactionFilters,
  TransactionLabelDto,
  TransactionPageDto,
  TransactionViewDto,
} from './transactions.dto.js';
import { transactionIdsOf, type TransactionIds } from './transaction-ids.js';
import { TransactionListSettings } from './transactions.settings.js';
import {
  EXPORT_COLUMNS,
  TransactionsRepository,
  accountsOf,
  type ExportLine,
  type HistoryRow,
  type HistorySide,
  type PageRow,
  type TransactionPage,
  type TransactionRow,
} from './transactions.repository.js';

@Injectable()
export class TransactionsService {
  /** Pages read recently or being read, by scope and filters; `until` is Infinity while the read runs. */
  private readonly pages = new Map<string, SharedPage>();

  constructor(
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
    @Inject(TransactionsRepository) private readonly transactions: TransactionsRepository,
    @Inject(TransactionListSettings) private readonly listSettings: TransactionListSettings,
  ) {}

  /**
   * Forwards the records to ingest, which validates, deduplicates and publishes them. A record no later
   * stage could carry is refused here, naming its field; the rest travel in as many requests as NATS
   * max_payload needs, and the answers are merged into one, in the client's record order.
   */
  async submit(
    principal: Principal,
    submission: Submission,
    idempotencyKey?: string,
  ): Promise<IngestSubmitReply> {
    const { records, single } = submission;
    const envelope: Omit<IngestSubmitRequest, 'records'> = { source: 'api' };
    if (principal.partnerId !== null) envelope.partner_id = principal.partnerId;
    // a partner submits only its own transactions: a record naming another partner is refused alone
    const foreign = (record: SubmittedRecord): boolean =>
      principal.partnerId !== null &&
      record.partner_id !== undefined &&
      record.partner_id !== principal.partnerId;
    const refused: SubmissionResult[] = [];
    const forwarded: { index: number; record: SubmittedRecord; bytes: number }[] = [];
    // the digest of the whole request binds every part to it, so a reused key with another body is a conflict
    const digest = createHash('sha256');
    records.forEach((record, index) => {
      if (foreign(record)) {
        const message = 'names another partner; a partner submits only its own transactions';
        if (single) throw new ForbiddenException(`partner_id ${message}`);
        refused.push({
          index,
          status: 'rejected',
          reasons: [{ code: 'gateway.partner_id', field: '/partner_id', message, severity: 'error' }],
        });
        digest.update(`${index} refused gateway.partner_id\n`);
        return;
      }
      const refusal = inspectRecord(record);
      if (refusal) {
        if (single) throw refusalProblem(refusal);
        refused.push({ index, status: 'rejected', reasons: [refusalReason(refusal)] });
        digest.update(`${index} refused ${refusal.code}\n`);
        return;
      }
      const json = JSON.stringify(record);
      digest.update(`${index} ${json}\n`);
      forwarded.push({ index, record, bytes: utf8.encode(json).length });
    });
    const parts = planParts(
      forwarded.map((f) => f.bytes),
      this.maxPayload() - SUBMISSION_ENVELOPE_RESERVE_BYTES,
      MAX_RECORDS_PER_REQUEST,
    ).map((positions) => positions.map((position) => forwarded[position]!));
    const requestDigest = parts.length > 1 ? digest.digest('hex') : undefined;
    const requestOf = (part: number): IngestSubmitRequest => ({
      ...envelope,
      records: parts[part]!.map((f) => f.record),
      ...(idempotencyKey === undefined ? {} : { idempotency_key: partIdempotencyKey(idempotencyKey, part) }),
      ...(requestDigest === undefined ? {} : { request_digest: requestDigest }),
    });
    // part 0 first: it claims the key for the whole request (or finds it taken), before any other part is stored
    const replies: IngestSubmitReply[] = [];
    if (parts.length > 0) replies.push(await this.requestIngest(requestOf(0)));
    replies.push(
      ...(await Promise.all(parts.slice(1).map((_, offset) => this.requestIngest(requestOf(offset + 1))))),
    );
    const results = [
      ...refused,
      ...replies.flatMap((reply, part) =>
        reply.results.map((result) => ({ ...result, index: parts[part]![result.index]!.index })),
      ),
    ].sort((a, b) => a.index - b.index);
    if (single) {
      const reason = results[0]?.reasons?.[0];
      const status = reason ? refusalStatusOf(reason.code) : undefined;
      if (reason && status)
        throw refusalProblem({ status, field: reason.field ?? '', message: reason.message });
    }
    const sum = (key: 'accepted' | 'duplicates' | 'rejected') =>
      replies.reduce((n, reply) => n + reply[key], 0);
    return {
      accepted: sum('accepted'),
      duplicates: sum('duplicates'),
      rejected: sum('rejected') + refused.length,
      results,
    };
  }

  /**
   * Decides one transaction now (POST /v1/decisions). Ingest stores and publishes it as a submission, so it goes on
   * through the pipeline once; the answer is the decision its partition's owner took, which is the score the
   * transaction is stored with. When no decision can be reached in time the answer is 503 with Retry-After: the
   * transaction is accepted all the same, and the same request again answers with its decision.
   */
  async decide(principal: Principal, record: SubmittedRecord): Promise<DecisionDto> {
    if (
      principal.partnerId !== null &&
      record.partner_id !== undefined &&
      record.partner_id !== principal.partnerId
    )
      throw new ForbiddenException(
        'partner_id names another partner; a partner submits only its own transactions',
      );
    const refusal = inspectRecord(record);
    if (refusal) throw refusalProblem(refusal);
    const reply: IngestDecideReply = await requestService(
      this.client,
      Requests.ingestDecide,
      { record, source: 'api', ...(principal.partnerId !== null ? { partner_id: principal.partnerId } : {}) },
      {
        unavailable: (reason) => `ingest is unavailable (${reason}); nothing was accepted, retry later`,
        unusable: (reason) => `ingest gave an unusable answer: ${reason}`,
      },
      DECISION_TIMEOUT_MS,
      DECISION_RETRY_AFTER_SECONDS,
    );
    const reason = reply.reasons?.[0];
    if (reply.status === 'rejected') {
      const status = reason ? (refusalStatusOf(reason.code) ?? 400) : 400;
      throw refusalProblem({
        status,
        field: reason?.field ?? '',
        message: reason?.message ?? 'record refused',
      });
    }
    if (reply.status === 'undecided')
      throw new RetryLaterException(
        `no decision in time (${reply.detail ?? 'unknown'}); the transaction ${reply.transaction_id ?? ''} was ` +
          'accepted and is scored in the stream: send the same request again for its decision',
        DECISION_RETRY_AFTER_SECONDS,
      );
    const common = {
      transaction_id: reply.transaction_id ?? '',
      rule_set_version: reply.rule_set_version ?? '',
      duplicate: reply.duplicate ?? false,
    };
    if (reply.status === 'quarantined' || reply.decision === undefined)
      return {
        ...common,
        status: 'quarantined',
        decision: 'review',
        score: null,
        reasons: reasonsOf(reply.reasons, 'error'),
        policy_version: null,
        model: null,
      };
    const { decision } = reply;
    return {
      ...common,
      status: 'scored',
      decision: decision.decision,
      score: decision.score,
      reasons: reasonsOf(decision.reasons, 'warn'),
      policy_version: decision.policy_version,
      model: decision.model_version,
    };
  }

  /** The largest message the NATS server takes (its INFO max_payload; 1 MiB by default). */
  private maxPayload(): number {
    return this.client.unwrap<NatsClient>().connection.info?.max_payload ?? 1024 * 1024;
  }

  async get(
    principal: Principal,
    id: string,
    options: TransactionViewOptions = { history: 0 },
  ): Promise<TransactionViewDto> {
    // out of scope reads as absent: a partner must not learn that another partner's id exists
    const scope = readScopeOf(principal);
    const ids = transactionIdsOf(scope);
    const key = ids.keyOf(id);
    const found = key === undefined ? undefined : await this.transactions.find(key, scope, options.history);
    if (!found) throw new NotFoundException(`transaction ${id} not found`);
    const { row, history } = found;
    const features = featuresOf(row);
    const view: TransactionViewDto = {
      ...viewOf(row, ids),
      label: labelOf(row, principal),
      ...(features ? { features } : {}),
    };
    if (options.history > 0) view.history = historyOf(row, history, ids);
    return view;
  }

  /**
   * One page of the list, serialised once for everyone who shares its read: a crowd on the same page costs one
   * query and one JSON encoding a second, not one of each per request.
   */
  async listSerialised(principal: Principal, filters: TransactionFilters): Promise<SerialisedJson> {
    const scope = scopeFor(principal, filters);
    const shared = this.sharedPage(filters, scope);
    const page = await shared.page;
    return (shared.serialised ??= new SerialisedJson(pageDto(page, filters, scope)));
  }

  /**
   * The page for this scope and these filters: requests that ask for the same one while it is being read, or
   * within the freshness window after, share that read (a morning's crowd opening the same first page costs one
   * query a second). The key holds the scope, so a page is only ever shared within the scope that read it; a
   * failed read is not kept.
   */
  private sharedPage(filters: TransactionFilters, scope: ReadScope): SharedPage {
    const key = JSON.stringify([scope.partnerId, scope.regions, filters]);
    const now = performance.now();
    const held = this.pages.get(key);
    if (held !== undefined && held.until > now) return held;
    if (held !== undefined) this.pages.delete(key);
    const entry: SharedPage = { page: this.transactions.list(filters, scope), until: Infinity };
    const { freshnessMs, maxPages } = this.listSettings;
    entry.page.then(
      () => {
        entry.until = performance.now() + freshnessMs;
        if (freshnessMs === 0 && this.pages.get(key) === entry) this.pages.delete(key);
      },
      () => {
        if (this.pages.get(key) === entry) this.pages.delete(key);
      },
    );
    this.pages.set(key, entry);
    if (this.pages.size > maxPages) this.forgetStalePages(now);
    return entry;
  }

  /** Drops the pages past their window, then the oldest ones while there are still too many. */
  private forgetStalePages(now: number): void {
    for (const [key, entry] of this.pages) if (entry.until <= now) this.pages.delete(key);
    for (const key of this.pages.keys()) {
      if (this.pages.size <= this.listSettings.maxPages) break;
      this.pages.delete(key);
    }
  }

  /**
   * Every matching row in scope as CSV, newest first: keyset pages of EXPORT_PAGE_SIZE rows are read
   * as the client consumes the stream, so memory stays flat whatever the export's size. The first page is
   * read before the answer starts, so a busy database is a 503 the client can retry, not a cut stream; when it
   * is the only page, the answer is that one body.
   */
  async export(principal: Principal, filters: ExportFilters): Promise<Readable | Buffer> {
    const scope = scopeFor(principal, filters);
    // read afresh, never a shared page: the first page must come from the database now, so a database that cannot
    // serve the later pages answers 503 before the stream starts rather than cutting it short
    const transactions = this.transactions;
    const pageAfter = (cursor?: TransactionFilters['cursor']) =>
      transactions.exportPage({ ...filters, limit: EXPORT_PAGE_SIZE, ...(cursor ? { cursor } : {}) }, scope);
    const first = await pageAfter();
    // PostgreSQL writes each row as its CSV line up to its reason codes (transactions.repository.ts)
    const csvOf = (page: TransactionPage<ExportLine>) =>
      page.rows.map((row) => `${row.line},${csvField(reasonCodesOf(row))}\n`).join('');
    // an export that fits in its first page (an hour of a region, a day of a partner) is one body with its length,
    // sent in one write: no stream to set up and no chunked encoding for a few KB
    if (!nextCursorOf(first, EXPORT_PAGE_SIZE)) return Buffer.from(EXPORT_HEADER + csvOf(first));
    // one chunk per page, header first: a socket write per page rather than per row
    async function* chunks(): AsyncGenerator<string> {
      yield EXPORT_HEADER;
      let cursor: TransactionFilters['cursor'];
      for (;;) {
        const page = cursor ? await patiently(() => pageAfter(cursor)) : first;
        if (page.rows.length > 0) yield csvOf(page);
        cursor = nextCursorOf(page, EXPORT_PAGE_SIZE);
        if (!cursor) return;
      }
    }
    // a page query that fails destroys the stream, which cuts the response short
    return Readable.from(chunks(), { objectMode: false });
  }

  private requestIngest(request: IngestSubmitRequest): Promise<IngestSubmitReply> {
    return requestService(this.client, Requests.ingestSubmit, request, {
      unavailable: (reason) => `ingest is unavailable (${reason}); nothing was accepted, retry later`,
      unusable: (reason) => `ingest gave an unusable answer: ${reason}`,
    });
  }
}

const utf8 = new TextEncoder();

/** How long a decision may take end to end before the answer is 503: ingest's two questions fit well inside. */
const DECISION_TIMEOUT_MS = 3_500;
/** A decision that could not be reached is usually there a moment later: the stream scores the transaction. */
const DECISION_RETRY_AFTER_SECONDS = 1;

/** The latest transactions of the payer and of the payee, as read with the caller's own scope. */
function historyOf(row: TransactionRow, rows: HistoryRow[], ids: TransactionIds): TransactionHistoryDto {
  const accounts = accountsOf(row);
  const of = (side: HistorySide, account: string): AccountHistoryDto => ({
    account,
    transactions: rows
      .filter((item) => item.side === side)
      .map((item) => ({
        transaction_id: ids.shown(item.transaction_id),
        status: item.status,
        score: item.score,
        decision: item.decision as Decision | null,
        received_at: item.received_at,
        amount: item.amount,
        currency: item.currency,
        type: item.type,
        label: item.label as LabelValue | null,
      })),
  });
  return {
    origin: accounts.origin ? of('origin', accounts.origin) : null,
    destination: accounts.destination ? of('destination', accounts.destination) : null,
  };
}

/** A request of one record that cannot go on: 400 (413 for size) naming the field by its JSON pointer. */
const refusalProblem = (refusal: Pick<RecordRefusal, 'status' | 'field' | 'message'>): ProblemException =>
  new ProblemException(refusal.status, refusal.message, {
    errors: [{ pointer: refusal.field, detail: refusal.message }],
  });

/** One read of a list page, shared within its scope and filters while fresh, and its answer once serialised. */
interface SharedPage {
  page: Promise<TransactionPage>;
  until: number;
  serialised?: SerialisedJson;
}

function pageDto(page: TransactionPage, filters: TransactionFilters, scope: ReadScope): TransactionPageDto {
  const ids = transactionIdsOf(scope);
  const next = nextCursorOf(page, filters.limit);
  return {
    items: page.rows.map((row) => viewOf(row, ids)),
    // the cursor carries the stored key: it is opaque to the caller
    next_cursor: next ? encodeCursor(next.at, next.id) : null,
  };
}

/**
 * Where the page after this one starts: after its last row when it is full, after the last row its walk read
 * when the walk ended first (the page may then be short, even empty); nowhere when the walk reached the end.
 */
function nextCursorOf(page: TransactionPage<PageRow>, limit: number): { at: string; id: string } | undefined {
  const last = page.rows.at(-1);
  if (page.rows.length === limit && last?.received_at)
    return { at: last.received_at, id: last.transaction_id };
  return page.walkedOn;
}

/**
 * A later page of an export, once its head is out: a busy database makes the client wait (retrying for up to
 * EXPORT_PAGE_PATIENCE_MS) rather than cutting the download short.
 */
async function patiently<T>(read: () => Promise<T>): Promise<T> {
  const deadline = performance.now() + EXPORT_PAGE_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      if (!databaseBusy(error) || performance.now() > deadline) throw error;
      await sleep(Math.min(50 * attempt, 500));
    }
  }
}

const EXPORT_PAGE_PATIENCE_MS = 30_000;

/** Rows per keyset page of an export. */
export const EXPORT_PAGE_SIZE = 1000;

/** The codes of a row's reasons, the score's then the verdict's, as its JSON view lists them. */
function reasonCodesOf(row: Pick<TransactionRow, 'score_reasons' | 'validation_reasons'>): string {
  if (!row.score_reasons && !row.validation_reasons) return '';
  return [...reasonsOf(row.score_reasons, 'warn'), ...reasonsOf(row.validation_reasons, 'warn')]
    .map((reason) => reason.code)
    .join(' ');
}

/** A CSV field quoted as the export's lines quote theirs (RFC 4180): when it holds a comma, a quote or a line break. */
const csvField = (text: string): string => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** The first line of every export. */
const EXPORT_HEADER = `${EXPORT_COLUMNS.join(',')}\n`;

/**
 * The principal's scope, with a region filter checked against it: asking for a region outside one's own
 * is refused rather than silently answered with nothing. The SQL applies the scope in any case.
 */
function scopeFor(principal: Principal, filters: { region?: string }): ReadScope {
  const refusal = regionRefusal(principal, filters.region);
  if (refusal) throw new ProblemException(403, refusal);
  return readScopeOf(principal);
}

function viewOf(row: TransactionRow, ids: TransactionIds): TransactionViewDto {
  const validationSeverity = row.validation_status === 'quarantined' ? 'error' : 'warn';
  return {
    transaction_id: ids.shown(row.transaction_id),
    status: row.status,
    score: row.score,
    decision: row.decision as Decision | null,
    reasons: [
      ...reasonsOf(row.score_reasons, 'warn'),
      ...reasonsOf(row.validation_reasons, validationSeverity),
    ],
    region: row.region,
    partner_id: row.partner_id,
    received_at: row.received_at,
    amount: row.amount,
    currency: row.currency,
    type: row.type,
  };
}

/**
 * The stored feature vector by name, when the score kept one and its feature set is known. A value that is not
 * a finite number (JSON has no NaN) is null; a vector whose length differs from its names' is not shown at all,
 * since zipping it would put values under the wrong names.
 */
function featuresOf(row: TransactionRow): Record<string, number | null> | undefined {
  const { features, feature_names: names } = row;
  if (!features || !names || features.length !== names.length) return undefined;
  return Object.fromEntries(
    names.map((name, i) => [name, Number.isFinite(features[i]) ? features[i]! : null]),
  );
}

/** The current label; a partner sees who gave it only when it was one of its own principals. */
function labelOf(row: TransactionRow, principal: Principal): TransactionLabelDto | null {
  if (!row.label || !row.labelled_at) return null;
  const ownLabel = principal.partnerId === null || row.labelled_by_role === 'partner';
  return {
    label: row.label as TransactionLabelDto['label'],
    source: row.label_source as TransactionLabelDto['source'],
    labelled_at: row.labelled_at,
    labelled_by: ownLabel ? (row.labelled_by ?? null) : null,
    labelled_by_role: row.labelled_by_role ?? '',
  };
}

/** Stored reasons are JSON written by other services: keep the documented fields, default the severity. */
function reasonsOf(stored: unknown, severity: 'error' | 'warn'): ReasonDto[] {
  if (!Array.isArray(stored)) return [];
  return stored.flatMap((item: unknown): ReasonDto[] => {
    if (typeof item !== 'object' || item === null) return [];
    const reason = item as Record<string, unknown>;
    if (typeof reason.code !== 'string') return [];
    return [
      {
        code: reason.code,
        message: typeof reason.message === 'string' ? reason.message : reason.code,
        ...(typeof reason.field === 'string' ? { field: reason.field } : {}),
        severity: reason.severity === 'error' || reason.severity === 'warn' ? reason.severity : severity,
      },
    ];
  });
}
