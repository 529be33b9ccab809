// Schema drift announcements and data-quality anomalies from the validator become alerts of source drift and
// data_quality.
import { Controller, Inject } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { Consumers, type DataQualityAnomaly, type SchemaDriftDetected } from '@vigil/contracts';
import { JetStreamConsumer } from '@vigil/messaging';
import { AlertsService } from '../alerts/alerts.service.js';
import { anomalySignal, driftSignals } from '../alerts/signals.js';

@Controller()
export class DataQualityHandler {
  constructor(@Inject(AlertsService) private readonly alerts: AlertsService) {}

  @JetStreamConsumer(Consumers.alertingDrift)
  async onDrift(@Payload() drift: SchemaDriftDetected): Promise<void> {
    // one alert per kind of change; a redelivery after a partial failure raises each once (keyed occurrences)
    for (const signal of driftSignals(drift)) await this.alerts.raise(signal);
  }

  @JetStreamConsumer(Consumers.alertingDataQuality)
  async onAnomaly(@Payload() anomaly: DataQualityAnomaly): Promise<void> {
    await this.alerts.raise(anomalySignal(anomaly));
  }
}
