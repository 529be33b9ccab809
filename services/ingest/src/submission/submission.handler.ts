import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Requests, type IngestSubmitReply, type IngestSubmitRequest } from '@vigil/contracts';
import { NatsRequest, PermanentError, TransientError } from '@vigil/messaging';
import { SubmissionError, SubmissionService } from './submission.service.js';

/** The gateway's way in: the same submission as HTTP, over NATS request-reply. */
@Controller()
export class SubmissionHandler {
  constructor(@Inject(SubmissionService) private readonly submissions: SubmissionService) {}

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
      if (!(error instanceof SubmissionError)) throw error;
      // the caller sees the same status the HTTP route would answer
      throw error.status >= 500
        ? new TransientError(error.message)
        : new PermanentError(error.message, error.status);
    }
  }
}
