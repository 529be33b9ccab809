import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Events, type IngestSubmitReply, type SubmissionResult } from '@vigil/contracts';
import { JetStreamPublisher, PublishRefusedError, StreamFullError } from '@vigil/messaging';
import { Counter } from 'prom-client';
import { OpsServer } from '@vigil/observability';
import { CardTokenizer } from '../tokenization/card-tokenizer.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { normalize, type NormalizeContext } from './normalize.js';
import { scopeToPartner } from './partner-scope.js';

export const MAX_RECORDS_PER_REQUEST = 1000;

export interface Submission {
  records: unknown[];
  source: string;
  partnerId?: string;
  idempotencyKey?: string;
}

/** A request-level refusal with the HTTP status that describes it. */
export class SubmissionError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** For a 503: seconds after which a retry may succeed. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
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
    @Inject(CardTokenizer) private readonly tokenizer: CardTokenizer,
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
    if (!idempotencyKey) return this.publishAll(submission);
    const principal = submission.partnerId ?? `source:${submission.source}`;
    const hash = createHash('sha256').update(JSON.stringify(submission.records)).digest('hex');
    const claim = await this.idempotency.claim(principal, idempotencyKey, hash);
    if (claim.state === 'replay') return claim.reply;
    if (claim.state === 'conflict') throw new SubmissionError(409, claim.message);
    try {
      const reply = await this.publishAll(submission);
      await this.idempotency.complete(principal, idempotencyKey, reply);
      return reply;
    } catch (error) {
      await this.idempotency.release(principal, idempotencyKey);
      throw error;
    }
  }

  /** Tokenises, normalises and publishes every record concurrently; resolves when each is stored or refused. */
  private async publishAll(submission: Submission): Promise<IngestSubmitReply> {
    const context: NormalizeContext = {
      ...this.defaults,
      source: submission.source,
      partnerId: submission.partnerId,
    };
    const receivedAt = new Date().toISOString();
    const results = await Promise.all(
      submission.records.map(async (raw, index): Promise<SubmissionResult> => {
        const scrubbed =
          raw !== null && typeof raw === 'object' && !Array.isArray(raw)
            ? this.tokenizer.scrub(raw as Record<string, unknown>)
            : raw;
        const normalized = normalize(scrubbed, context);
        if (!normalized.ok) {
          return {
            index,
            ...(normalized.transactionId ? { transaction_id: normalized.transactionId } : {}),
            status: 'rejected',
            reasons: normalized.reasons,
          };
        }
        const { transactionId, record } = normalized;
        // the same id from two partners is two transactions; from one partner, a duplicate
        const key = scopeToPartner(record, transactionId, submission.partnerId);
        const ack = await this.publisher.publish(
          Events.transactionAccepted,
          partitionOf(record.region),
          {
            transaction_id: key,
            received_at: receivedAt,
            source: record.source as string,
            ...(submission.partnerId ? { partner_id: submission.partnerId } : {}),
            record,
          },
          { msgId: key },
        );
        return { index, transaction_id: transactionId, status: ack.duplicate ? 'duplicate' : 'accepted' };
      }),
    ).catch((error: unknown) => {
      if (error instanceof StreamFullError)
        throw new SubmissionError(503, 'transaction stream is full, retry later', error.retryAfterSeconds);
      if (error instanceof PublishRefusedError)
        throw new SubmissionError(413, `a record is too large for the transaction stream: ${error.message}`);
      throw new SubmissionError(
        503,
        `transaction stream unavailable, retry later: ${(error as Error).message}`,
        1,
      );
    });
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
}
