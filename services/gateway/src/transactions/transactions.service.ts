import {
  BadGatewayException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  RequestError,
  TimeoutError,
} from '@nats-io/transport-node';
import { Requests, type IngestSubmitReply, type IngestSubmitRequest } from '@vigil/contracts';
import { JetStreamClient, RemoteRequestError } from '@vigil/messaging';
import { readScopeOf, type Principal } from '../auth/principal.js';
import { RetryLaterException, httpError } from '../http/api-exception.filter.js';
import { encodeCursor } from '../http/query.js';
import type {
  ReasonDto,
  SubmittedRecord,
  TransactionFilters,
  TransactionPageDto,
  TransactionViewDto,
} from './transactions.dto.js';
import { TransactionsRepository, type TransactionRow } from './transactions.repository.js';

/** Ingest answers within this or is treated as unavailable; it applies backpressure rather than queueing forever. */
export const INGEST_TIMEOUT_MS = 10_000;
/** What a 503 tells clients to wait before retrying the same request (with the same Idempotency-Key). */
export const RETRY_AFTER_SECONDS = 5;

@Injectable()
export class TransactionsService {
  constructor(
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
    @Inject(TransactionsRepository) private readonly transactions: TransactionsRepository,
  ) {}

  /** Forwards the records to ingest, which validates, deduplicates and publishes them. */
  async submit(
    principal: Principal,
    records: SubmittedRecord[],
    idempotencyKey?: string,
  ): Promise<IngestSubmitReply> {
    const request: IngestSubmitRequest = { records, source: 'api' };
    if (principal.partnerId !== null) {
      const foreign = records.findIndex(
        (r) => r.partner_id !== undefined && r.partner_id !== principal.partnerId,
      );
      if (foreign >= 0) {
        throw new ForbiddenException(
          `record ${foreign} names another partner_id; a partner submits only its own transactions`,
        );
      }
      request.partner_id = principal.partnerId;
    }
    if (idempotencyKey !== undefined) request.idempotency_key = idempotencyKey;
    return this.requestIngest(request);
  }

  async get(principal: Principal, id: string): Promise<TransactionViewDto> {
    // out of scope reads as absent: a partner must not learn that another partner's id exists
    const row = await this.transactions.find(id, readScopeOf(principal));
    if (!row) throw new NotFoundException(`transaction ${id} not found`);
    return viewOf(row);
  }

  async list(principal: Principal, filters: TransactionFilters): Promise<TransactionPageDto> {
    const rows = await this.transactions.list(filters, readScopeOf(principal));
    const last = rows.at(-1);
    const full = rows.length === filters.limit;
    return {
      items: rows.map(viewOf),
      next_cursor: full && last?.received_at ? encodeCursor(last.received_at, last.transaction_id) : null,
    };
  }

  private async requestIngest(request: IngestSubmitRequest): Promise<IngestSubmitReply> {
    try {
      return await this.client.request(Requests.ingestSubmit, request, INGEST_TIMEOUT_MS);
    } catch (error) {
      if (error instanceof RemoteRequestError) {
        if (error.status >= 500) throw new RetryLaterException(error.message, RETRY_AFTER_SECONDS);
        throw httpError(error.status >= 400 ? error.status : 502, error.message);
      }
      if (isUnavailable(error)) {
        throw new RetryLaterException(
          `ingest is unavailable (${error instanceof Error ? error.message : String(error)}); nothing was accepted, retry later`,
          RETRY_AFTER_SECONDS,
        );
      }
      throw new BadGatewayException(
        `ingest gave an unusable answer: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

/** No responders, a timeout or a closing connection: transient, so the client should retry. */
const isUnavailable = (error: unknown): boolean =>
  error instanceof RequestError ||
  error instanceof TimeoutError ||
  error instanceof ClosedConnectionError ||
  error instanceof DrainingConnectionError;

function viewOf(row: TransactionRow): TransactionViewDto {
  const validationSeverity = row.validation_status === 'quarantined' ? 'error' : 'warn';
  return {
    transaction_id: row.transaction_id,
    status: row.status,
    score: row.score,
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
