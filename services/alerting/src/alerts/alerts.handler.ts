import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type TransactionScored } from '@vigil/contracts';
import { JetStreamConsumer } from '@vigil/messaging';
import { ALERT_SETTINGS, type AlertSettings } from './alert-settings.js';
import { AlertsService } from './alerts.service.js';
import { fraudSignal } from './signals.js';

@Controller()
export class AlertsHandler {
  constructor(
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
  ) {}

  @JetStreamConsumer(Consumers.alerting)
  async onScored(@Payload() scored: TransactionScored): Promise<void> {
    const signal = fraudSignal(scored, this.settings.scoreThreshold);
    if (signal) await this.alerts.raise(signal);
  }
}
