import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type TransactionAccepted } from '@vigil/contracts';
import { JetStreamConsumer } from '@vigil/messaging';
import { ValidationService } from './validation.service.js';

@Controller()
export class ValidationHandler {
  constructor(@Inject(ValidationService) private readonly validation: ValidationService) {}

  @JetStreamConsumer(Consumers.validator)
  async onAccepted(@Payload() accepted: TransactionAccepted): Promise<void> {
    await this.validation.process(accepted);
  }
}
