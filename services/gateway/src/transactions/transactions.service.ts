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
  type IngestSubmitReply,
  type IngestSubmitRequest,
  type LabelValue,
  type RecordRefusal,
  type SubmissionResult,
} from '@vigil/contracts';
import { JetStreamClient, type NatsClient } from '@vigil/messaging';
import { Readable, pipeline } from 'node:stream';
import { stringify } from 'csv-stringify';
import { readScopeOf, regionRefusal, type Principal, type ReadScope } from '../auth/principal.js';
import { ProblemException } from '../http/problem.js';
import { MAX_RECORDS_PER_REQUEST } from './transactions.dto.js';
import { encodeCursor } from '../http/query.js';
import { requestService } from '../http/service-request.js';
import type {
  AccountHistoryDto,
  Decision,
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
import { TransactionsRepository, type HistorySide, type TransactionRow } from './transactions.repository.js';

@Injectable()
export class TransactionsService {
  constructor(
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
    @Inject(TransactionsRepository) private readonly transactions: TransactionsRepository,
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
    const row = key === undefined ? undefined : await this.transactions.find(key, scope);
    if (!row) throw new NotFoundException(`transaction ${id} not found`);
    const features = featuresOf(row);
    const view: TransactionViewDto = {
      ...viewOf(row, ids),
      label: labelOf(row, principal),
      ...(features ? { features } : {}),
    };
    if (options.history > 0) view.history = await this.historyOf(row, options.history, scope, ids);
    return view;
  }

  /** The latest transactions of the payer and of the payee, read with the caller's own scope. */
  private async historyOf(
    row: TransactionRow,
    limit: number,
    scope: ReadScope,
    ids: TransactionIds,
  ): Promise<TransactionHistoryDto> {
    const of = async (side: HistorySide, account: string): Promise<AccountHistoryDto> => ({
      account,
      transactions: (
        await this.transactions.history(side, account, row.partner_id, row.transaction_id, limit, scope)
      ).map((item) => ({
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
    const [origin, destination] = await Promise.all([
      row.origin_account ? of('origin', row.origin_account) : null,
      row.destination_account ? of('destination', row.destination_account) : null,
    ]);
    return { origin, destination };
  }

  async list(principal: Principal, filters: TransactionFilters): Promise<TransactionPageDto> {
    const scope = scopeFor(principal, filters);
    const ids = transactionIdsOf(scope);
    const rows = await this.transactions.list(filters, scope);
    const last = rows.at(-1);
    const full = rows.length === filters.limit;
    return {
      items: rows.map((row) => viewOf(row, ids)),
      // the cursor carries the stored key: it is opaque to the caller
      next_cursor: full && last?.received_at ? encodeCursor(last.received_at, last.transaction_id) : null,
    };
  }

  /**
   * Every matching row in scope as CSV, newest first: keyset pages of EXPORT_PAGE_SIZE rows are read
   * as the client consumes the stream, so memory stays flat whatever the export's size.
   */
  export(principal: Principal, filters: ExportFilters): Readable {
    const scope = scopeFor(principal, filters);
    const ids = transactionIdsOf(scope);
    const transactions = this.transactions;
    async function* rows(): AsyncGenerator<Record<string, string>> {
      let cursor: TransactionFilters['cursor'];
      for (;;) {
        const page = await transactions.list(
          { ...filters, limit: EXPORT_PAGE_SIZE, ...(cursor ? { cursor } : {}) },
          scope,
        );
        for (const row of page) yield csvRecordOf(row, ids);
        const last = page.at(-1);
        if (page.length < EXPORT_PAGE_SIZE || !last?.received_at) return;
        cursor = { at: last.received_at, id: last.transaction_id };
      }
    }
    const csv = stringify({ header: true, columns: [...EXPORT_COLUMNS] });
    // pipeline destroys the CSV stream when a page query fails, which cuts the response short
    return pipeline(Readable.from(rows()), csv, () => undefined);
  }

  private requestIngest(request: IngestSubmitRequest): Promise<IngestSubmitReply> {
    return requestService(this.client, Requests.ingestSubmit, request, {
      unavailable: (reason) => `ingest is unavailable (${reason}); nothing was accepted, retry later`,
      unusable: (reason) => `ingest gave an unusable answer: ${reason}`,
    });
  }
}

const utf8 = new TextEncoder();

/** A request of one record that cannot go on: 400 (413 for size) naming the field by its JSON pointer. */
const refusalProblem = (refusal: Pick<RecordRefusal, 'status' | 'field' | 'message'>): ProblemException =>
  new ProblemException(refusal.status, refusal.message, {
    errors: [{ pointer: refusal.field, detail: refusal.message }],
  });

/** Rows per keyset page of an export. */
export const EXPORT_PAGE_SIZE = 1000;

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

/** Money and scores stay decimal strings; reasons are their codes, separated by spaces. */
function csvRecordOf(
  row: TransactionRow,
  ids: TransactionIds,
): Record<(typeof EXPORT_COLUMNS)[number], string> {
  const view = viewOf(row, ids);
  return {
    transaction_id: view.transaction_id,
    status: view.status,
    score: view.score === null ? '' : String(view.score),
    region: view.region ?? '',
    partner_id: view.partner_id ?? '',
    received_at: view.received_at ?? '',
    amount: view.amount ?? '',
    currency: view.currency ?? '',
    type: view.type ?? '',
    reason_codes: view.reasons.map((r) => r.code).join(' '),
  };
}

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
