// Counts every scored transaction into the demand series (per interval, by region, merchant category, type, channel).
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type TransactionScored } from '@vigil/contracts';
import { JetStreamConsumer } from '@vigil/messaging';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { DemandRepository } from './demand.repository.js';

@Controller()
export class DemandHandler {
  private readonly intervalMs: number;

  constructor(
    @Inject(DemandRepository) private readonly demand: DemandRepository,
    @Inject(ALERT_SETTINGS) settings: AlertSettings,
  ) {
    this.intervalMs = settings.demandIntervalMinutes * 60_000;
  }

  @JetStreamConsumer(Consumers.alertingDemand)
  async onScored(@Payload() scored: TransactionScored): Promise<void> {
    const t = scored.transaction;
    const at = Date.parse(t.timestamp);
    await this.demand.add({
      transactionId: t.transaction_id,
      // intervals are aligned to the epoch, hence to UTC midnight (a day is a whole number of them)
      bucketStart: new Date(at - (at % this.intervalMs)),
      region: t.region,
      merchantCategory: t.merchant?.mcc ?? null,
      transactionType: t.type,
      channel: t.channel ?? null,
      currency: t.currency,
      amount: t.amount,
    });
  }
}
