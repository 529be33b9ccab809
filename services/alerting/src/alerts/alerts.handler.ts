import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type TransactionScored } from '@vigil/contracts';
import { JetStreamConsumer } from '@vigil/messaging';
import { AlertsService } from './alerts.service.js';

@Controller()
export class AlertsHandler {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @JetStreamConsumer(Consumers.alerting)
  async onScored(@Payload() scored: TransactionScored): Promise<void> {
    await this.alerts.onScored(scored);
  }
}
