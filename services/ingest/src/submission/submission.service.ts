import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  Events,
  type IngestSubmitReply,
  type SubmissionResult,
  type TransactionAccepted,
} from '@vigil/contracts';
import { JetStreamPublisher, PublishRefusedError, StreamFullError } from '@vigil/messaging';
import { Counter } from 'prom-client';
import { OpsServer } from '@vigil/observability';
import { IdempotencyRepository } from './idempotency.repository.js';
import { normalize, type NormalizeContext } from './normalize.js';
import { scopeToPartner } from './partner-scope.js';
import { RecordDoor, cardNumberInRequest, type Admission } from './record-door.js';

export const MAX_RECORDS_PER_REQUEST = 1000;

export interface Submission {
  records: unknown[];
  source: string;
  partnerId?: string;
  idempotencyKey?: string;
  /** Digest of the whole client request when the gateway sent it in parts: part of each part's idempotency hash. */
  requestDigest?: string;
}

/** A request-level refusal with the HTTP status that describes it. */
export class SubmissionError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** JSON pointer of the field concerned, and for a 503 the seconds after which a retry may succeed. */
    readonly details: { field?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }

  get field(): string | undefined {
    return this.details.field;
  }

  get retryAfterSeconds(): number | undefined {
    return this.details.retryAfterSeconds;
  }
}

export const NORMALIZE_DEFAULTS = Symbol('NORMALIZE_DEFAULTS');
export type NormalizeDefaults = Omit<NormalizeContext, 'source' | 'partnerId'>;

const partitionOf = (region: unknown): string =>
  typeof region === 'string' && /^[A-Z]{2}$/.test(region) ? region : 'XX';

@Injectable()
export class SubmissionService {
  private readonly outcomes: Counter<'status'>;

  constructor(
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(RecordDoor) private readonly door: RecordDoor,
    @Inject(IdempotencyRepository) private readonly idempotency: IdempotencyRepository,
    @Inject(NORMALIZE_DEFAULTS) private readonly defaults: NormalizeDefaults,
    @Inject(OpsServer) ops: OpsServer,
  ) {
    this.outcomes = new Counter({
      name: 'vigil_ingest_records_total',
      help: 'Records received by ingest, by outcome',
      labelNames: ['status'],
      registers: [ops.registry],
    });
  }

  async submit(submission: Submission): Promise<IngestSubmitReply> {
    if (submission.records.length > MAX_RECORDS_PER_REQUEST) {
      throw new SubmissionError(
        413,
        `at most ${MAX_RECORDS_PER_REQUEST} records per request; send NDJSON for more`,
      );
    }
    const { idempotencyKey } = submission;
    const refused = cardNumberInRequest({ idempotencyKey, source: submission.source });
    if (refused) throw new SubmissionError(400, refused);
    const admissions = submission.records.map((raw) => this.door.admit(raw));
    if (!idempotencyKey) return this.publishAll(submission, admissions);
    const principal = submission.partnerId ?? `source:${submission.source}`;
    // hashed as admitted: a refused record is its reason, so a record nested too deep to serialise still hashes
    const hash = createHash('sha256')
      .update(submission.requestDigest ?? '')
      .update(JSON.stringify(admissions))
      .digest('hex');
    const claim = await this.idempotency.claim(principal, idempotencyKey, hash);
    if (claim.state === 'replay') return claim.reply;
    if (claim.state === 'conflict') throw new SubmissionError(409, claim.message);
    try {
      const reply = await this.publishAll(submission, admissions);
      await this.idempotency.complete(principal, idempotencyKey, reply);
      return reply;
    } catch (error) {
      await this.idempotency.release(principal, idempotencyKey);
      throw error;
    }
  }

  /** Tokenises, normalises and publishes every record concurrently; resolves when each is stored or refused. */
  private async publishAll(submission: Submission, admissions: Admission[]): Promise<IngestSubmitReply> {
    const context = this.contextOf(submission);
    const receivedAt = new Date().toISOString();
    const results = await Promise.all(
      admissions.map(async (admission, index) => {
        const { result } = await this.publishOne(admission, index, context, submission, receivedAt);
        return result;
      }),
    ).catch(publishFailure);
    const count = (status: SubmissionResult['status']) => results.filter((r) => r.status === status).length;
    const reply = {
      accepted: count('accepted'),
      duplicates: count('duplicate'),
      rejected: count('rejected'),
      results,
    };
    this.outcomes.inc({ status: 'accepted' }, reply.accepted);
    this.outcomes.inc({ status: 'duplicate' }, reply.duplicates);
    this.outcomes.inc({ status: 'rejected' }, reply.rejected);
    return reply;
  }

  /**
   * One record for a synchronous decision, admitted, normalised and published exactly as a submission's record,
   * with the event published and its stream sequence (both absent when the record was refused).
   */
  async submitOne(
    raw: unknown,
    submission: Omit<Submission, 'records' | 'idempotencyKey' | 'requestDigest'>,
  ): Promise<{ result: SubmissionResult; accepted?: TransactionAccepted; seq?: number }> {
    const outcome = await this.publishOne(
      this.door.admit(raw),
      0,
      this.contextOf(submission),
      submission,
      new Date().toISOString(),
    ).catch(publishFailure);
    this.outcomes.inc({ status: outcome.result.status });
    return outcome;
  }

  private contextOf(submission: Pick<Submission, 'source' | 'partnerId'>): NormalizeContext {
    return { ...this.defaults, source: submission.source, partnerId: submission.partnerId };
  }

  private async publishOne(
    admission: Admission,
    index: number,
    context: NormalizeContext,
    submission: Pick<Submission, 'partnerId'>,
    receivedAt: string,
  ): Promise<{ result: SubmissionResult; accepted?: TransactionAccepted; seq?: number }> {
    if (!admission.ok) return { result: { index, status: 'rejected', reasons: [admission.reason] } };
    const normalized = normalize(admission.record, context);
    if (!normalized.ok) {
      return {
        result: {
          index,
          ...(normalized.transactionId ? { transaction_id: normalized.transactionId } : {}),
          status: 'rejected',
          reasons: normalized.reasons,
        },
      };
    }
    const { transactionId, record } = normalized;
    // the same id from two partners is two transactions; from one partner, a duplicate
    const key = scopeToPartner(record, transactionId, submission.partnerId);
    const accepted: TransactionAccepted = {
      transaction_id: key,
      received_at: receivedAt,
      source: record.source as string,
      ...(submission.partnerId ? { partner_id: submission.partnerId } : {}),
      record,
    };
    const ack = await this.publisher.publish(
      Events.transactionAccepted,
      partitionOf(record.region),
      accepted,
      {
        msgId: key,
      },
    );
    return {
      result: { index, transaction_id: transactionId, status: ack.duplicate ? 'duplicate' : 'accepted' },
      accepted,
      seq: ack.seq,
    };
  }
}

/** A publish that failed, as the request-level refusal it is for the caller. */
function publishFailure(error: unknown): never {
  if (error instanceof StreamFullError)
    throw new SubmissionError(503, 'transaction stream is full, retry later', {
      retryAfterSeconds: error.retryAfterSeconds,
    });
  if (error instanceof PublishRefusedError)
    throw new SubmissionError(413, `a record is too large for the transaction stream: ${error.message}`);
  throw new SubmissionError(503, `transaction stream unavailable, retry later: ${(error as Error).message}`, {
    retryAfterSeconds: 1,
  });
}
