// Posts record batches to the ingest API with bounded concurrency. A full window makes the
// producer wait (backpressure); overload and connection failures are retried with backoff, so
// no batch is dropped; anything that retrying cannot fix stops the run with a clear error.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '@vigil/messaging';

export const DEFAULT_INGEST_TARGET = 'http://127.0.0.1:8081/v1/transactions';
/** The ingest API refuses larger batches. */
export const MAX_BATCH_SIZE = 1000;

/** Statuses that mean "not now": the batch was not processed and may be sent again. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
/** Network failures in which the request was refused, cut or timed out. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

export interface DeliveryTally {
  batches: number;
  /** Records the API answered for. */
  records: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  retries: number;
  /** Records in batches that failed for good. */
  failedRecords: number;
}

export interface RejectionSample {
  transactionId?: string;
  index: number;
  reasons: string;
}

export interface BatchSenderOptions {
  target: string;
  token?: string;
  concurrency: number;
  /** Keep retrying one batch for this long before giving up on the run; default 5 minutes. */
  retryBudgetMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  requestTimeoutMs?: number;
  /** Called after every answered batch, e.g. to move a progress bar. */
  onDelivered?: (tally: Readonly<DeliveryTally>) => void;
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

interface IngestReply {
  accepted: number;
  duplicates: number;
  rejected: number;
  results?: {
    index?: number;
    transaction_id?: string;
    status?: string;
    reasons?: { code?: string; field?: string; message?: string }[];
  }[];
}

function isIngestReply(body: unknown): body is IngestReply {
  if (typeof body !== 'object' || body === null) return false;
  const reply = body as Record<string, unknown>;
  return (
    ['accepted', 'duplicates', 'rejected'].every((key) => Number.isInteger(reply[key])) &&
    (reply['results'] === undefined || Array.isArray(reply['results']))
  );
}

/** The error codes along a fetch failure's cause chain (undici nests the socket error). */
function networkCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (
    let current: unknown = error;
    current && typeof current === 'object';
    current = (current as { cause?: unknown }).cause
  ) {
    const { code, name } = current as { code?: unknown; name?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError') codes.push('ETIMEDOUT');
  }
  return codes;
}

function describeError(error: unknown): string {
  const codes = networkCodes(error);
  const message = error instanceof Error ? error.message : String(error);
  return codes.length > 0 ? `${message} (${codes.join(', ')})` : message;
}

/** Retry-After in seconds or as an HTTP date, capped so a bad header cannot stall the run. */
function retryAfterMs(header: string | null, capMs: number): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, capMs) : undefined;
}

export class BatchSender {
  readonly tally: DeliveryTally = {
    batches: 0,
    records: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    retries: 0,
    failedRecords: 0,
  };
  /** The first few rejections, to show why records were refused. */
  readonly rejections: RejectionSample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failed: DeliveryError | undefined;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: BatchSenderOptions) {
    if (!(options.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
    this.headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    };
  }

  /** Set once a batch has failed for good; no further batches are sent. */
  get failure(): DeliveryError | undefined {
    return this.failed;
  }

  get pending(): number {
    return this.inFlight.size;
  }

  /**
   * Starts posting `records` once fewer than `concurrency` requests are in flight; resolves when
   * the request has started, not when it is answered. Throws the failure if the run has failed.
   */
  async send(records: readonly unknown[]): Promise<void> {
    if (records.length === 0) return;
    if (records.length > MAX_BATCH_SIZE)
      throw new RangeError(`a batch holds at most ${MAX_BATCH_SIZE} records`);
    while (this.inFlight.size >= this.options.concurrency && !this.failed) await Promise.race(this.inFlight);
    if (this.failed) throw this.failed;
    const delivery: Promise<void> = this.deliver(JSON.stringify(records), records.length)
      .catch((error: unknown) => this.fail(`unexpected error: ${describeError(error)}`, records.length))
      .finally(() => {
        this.inFlight.delete(delivery);
      });
    this.inFlight.add(delivery);
  }

  /** Waits for every batch in flight, retries included. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async deliver(body: string, size: number): Promise<void> {
    const {
      retryBudgetMs = 300_000,
      initialBackoffMs = 250,
      maxBackoffMs = 10_000,
      requestTimeoutMs = 60_000,
    } = this.options;
    // One key for every attempt of this batch: a server that honours it can answer a retry from cache.
    const headers = { ...this.headers, 'idempotency-key': randomUUID() };
    let firstFailureAt: number | undefined;
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      let waitMs: number | undefined;
      try {
        const response = await fetch(this.options.target, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        if (response.ok) {
          this.record(await this.readReply(response), size);
          return;
        }
        const text = (await response.text().catch(() => '')).slice(0, 300);
        problem = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
        if (!RETRYABLE_STATUSES.has(response.status))
          return this.fail(`${problem}${this.hint(response.status)}`, size);
        waitMs = retryAfterMs(response.headers.get('retry-after'), maxBackoffMs * 3);
      } catch (error) {
        if (error instanceof DeliveryError) return this.fail(error.message, size);
        if (!networkCodes(error).some((code) => RETRYABLE_NETWORK_CODES.has(code))) {
          return this.fail(`cannot reach ${this.options.target}: ${describeError(error)}`, size);
        }
        problem = describeError(error);
      }
      firstFailureAt ??= Date.now();
      if (Date.now() - firstFailureAt > retryBudgetMs) {
        return this.fail(
          `gave up after retrying for ${Math.round(retryBudgetMs / 1000)} s; last error: ${problem}`,
          size,
        );
      }
      // Between half the backoff and all of it: concurrent batches that failed together do not retry in lockstep.
      const backoff = backoffMs(attempt + 1, {
        baseMs: initialBackoffMs / 2,
        capMs: maxBackoffMs / 2,
        jitter: 1,
      });
      await sleep(waitMs ?? Math.round(backoff));
      this.tally.retries++;
    }
  }

  private async readReply(response: Response): Promise<IngestReply> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new DeliveryError(`HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!isIngestReply(body)) {
      throw new DeliveryError(
        `HTTP ${response.status} without accepted/duplicates/rejected counts: ${text.slice(0, 200)}`,
      );
    }
    return body;
  }

  private record(reply: IngestReply, size: number): void {
    this.tally.batches++;
    this.tally.records += size;
    this.tally.accepted += reply.accepted;
    this.tally.duplicates += reply.duplicates;
    this.tally.rejected += reply.rejected;
    for (const result of reply.results ?? []) {
      if (result.status !== 'rejected' || this.rejections.length >= 10) continue;
      this.rejections.push({
        ...(result.transaction_id ? { transactionId: result.transaction_id } : {}),
        index: result.index ?? -1,
        reasons:
          (result.reasons ?? [])
            .map((r) => [r.code, r.field, r.message].filter(Boolean).join(' '))
            .join('; ') || 'no reason given',
      });
    }
    this.options.onDelivered?.(this.tally);
  }

  private hint(status: number): string {
    if (status === 401 || status === 403) return ' (check --token)';
    if (status === 404) return ' (check --target)';
    if (status === 413) return ' (lower --batch-size)';
    return '';
  }

  private fail(message: string, size: number): void {
    this.tally.failedRecords += size;
    this.failed ??= new DeliveryError(`batch of ${size} records not delivered: ${message}`);
    this.options.onDelivered?.(this.tally);
  }
}

/** One line of counts, shared by the progress display and the final summary. */
export function describeTally(tally: Readonly<DeliveryTally>): string {
  const parts = [
    `${tally.accepted} accepted`,
    `${tally.duplicates} duplicates`,
    `${tally.rejected} rejected`,
  ];
  if (tally.retries > 0) parts.push(`${tally.retries} ${tally.retries === 1 ? 'retry' : 'retries'}`);
  if (tally.failedRecords > 0) parts.push(`${tally.failedRecords} failed`);
  return parts.join(', ');
}
