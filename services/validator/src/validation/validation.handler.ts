import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import {
  Consumers,
  Requests,
  type TransactionAccepted,
  type ValidatorValidateRequest,
  type ValidatorVerdict,
} from '@vigil/contracts';
import { JetStreamConsumer, JetStreamContext, NatsRequest } from '@vigil/messaging';
import { ValidationService } from './validation.service.js';

@Controller()
export class ValidationHandler {
  constructor(@Inject(ValidationService) private readonly validation: ValidationService) {}

  /**
   * The stream sequence tells a redelivery of this message apart from another message with the same id; the turn
   * keeps verdicts published in the order records arrived, so each account's history reaches the scorer in order.
   */
  @JetStreamConsumer(Consumers.validator)
  async onAccepted(@Payload() accepted: TransactionAccepted, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.validation.process(accepted, ctx.info.streamSequence, ctx.info.turn);
  }

  /** A synchronous decision's validation: the message ingest just stored, validated now instead of in turn. */
  @NatsRequest(Requests.validatorValidate)
  onValidate(@Payload() request: ValidatorValidateRequest): Promise<ValidatorVerdict> {
    return this.validation.validateNow(request.accepted, request.stream_seq);
  }
}
