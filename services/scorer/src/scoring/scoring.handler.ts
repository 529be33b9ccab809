import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type TransactionValidated } from '@vigil/contracts';
import { JetStreamConsumer } from '@vigil/messaging';
import { ScoringService } from './scoring.service.js';

@Controller()
export class ScoringHandler {
  constructor(@Inject(ScoringService) private readonly scoring: ScoringService) {}

  @JetStreamConsumer(Consumers.scorer)
  async onValidated(@Payload() validated: TransactionValidated): Promise<void> {
    await this.scoring.process(validated);
  }
}
