import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import {
  Requests,
  type IngestDecideReply,
  type IngestDecideRequest,
  type IngestSubmitReply,
  type IngestSubmitRequest,
} from '@vigil/contracts';
import { NatsRequest, PermanentError, TransientError } from '@vigil/messaging';
import { DecisionService } from './decision.service.js';
import { SubmissionError, SubmissionService } from './submission.service.js';

/** The gateway's way in: the same submission as HTTP, over NATS request-reply. */
@Controller()
export class SubmissionHandler {
  constructor(
    @Inject(SubmissionService) private readonly submissions: SubmissionService,
    @Inject(DecisionService) private readonly decisions: DecisionService,
  ) {}

  @NatsRequest(Requests.ingestSubmit)
  async onSubmit(@Payload() request: IngestSubmitRequest): Promise<IngestSubmitReply> {
    try {
      return await this.submissions.submit({
        records: request.records,
        source: request.source,
        ...(request.partner_id ? { partnerId: request.partner_id } : {}),
        ...(request.idempotency_key ? { idempotencyKey: request.idempotency_key } : {}),
        ...(request.request_digest ? { requestDigest: request.request_digest } : {}),
      });
    } catch (error) {
      throw asReplyError(error);
    }
  }

  /** POST /v1/decisions: one record stored and published as submitted, then judged and scored now. */
  @NatsRequest(Requests.ingestDecide)
  async onDecide(@Payload() request: IngestDecideRequest): Promise<IngestDecideReply> {
    try {
      return await this.decisions.decide(request);
    } catch (error) {
      throw asReplyError(error);
    }
  }
}

/** The caller sees the same status the HTTP route would answer. */
function asReplyError(error: unknown): unknown {
  if (!(error instanceof SubmissionError)) return error;
  return error.status >= 500
    ? new TransientError(error.message)
    : new PermanentError(error.message, error.status);
}
