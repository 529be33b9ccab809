import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from './alerts/alert-settings.js';
import { AlertsHandler } from './alerts/alerts.handler.js';
import { AlertsRepository } from './alerts/alerts.repository.js';
import { AlertingMetrics } from './alerts/alerting-metrics.js';
import { AlertsService } from './alerts/alerts.service.js';
import { Clock } from './clock/clock.js';
import { WorkSignals } from './clock/work-signals.js';
import { DataQualityHandler } from './data-quality/data-quality.handler.js';
import { EmailChannel } from './delivery/channels/email.channel.js';
import { SmsChannel } from './delivery/channels/sms.channel.js';
import { WebhookChannel } from './delivery/channels/webhook.channel.js';
import { DeliveriesRepository } from './delivery/deliveries.repository.js';
import { DeliveryWorker } from './delivery/delivery.worker.js';
import { DemandHandler } from './demand/demand.handler.js';
import { DemandRepository } from './demand/demand.repository.js';
import { ForecastWorker } from './demand/forecast.worker.js';
import { ForecastsHandler } from './demand/forecasts.handler.js';
import { ForecastsRepository } from './demand/forecasts.repository.js';
import { ForecastsService } from './demand/forecasts.service.js';
import { EscalationWorker } from './escalation/escalation.worker.js';
import { EscalationsRepository } from './escalation/escalations.repository.js';
import { GroupFlushWorker } from './grouping/group-flush.worker.js';
import { GroupingService } from './grouping/grouping.service.js';
import { GroupsRepository } from './grouping/groups.repository.js';
import { LifecycleHandler } from './lifecycle/lifecycle.handler.js';
import { LifecycleRepository } from './lifecycle/lifecycle.repository.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { MaintenanceWorker } from './lifecycle/maintenance.worker.js';
import { MutingService } from './muting/muting.service.js';
import { Notifier } from './notifications/notifier.js';
import { PolicyService } from './policy/policy.service.js';
import { SilencesHandler } from './silences/silences.handler.js';
import { SilencesRepository } from './silences/silences.repository.js';
import { SilencesService } from './silences/silences.service.js';

export interface AlertingOverrides {
  /** Tests run escalations and forecasts on a clock of their own, */
  clock?: Clock;
  /** and run a background job at a moment of their choosing through these. */
  signals?: WorkSignals;
}

@Module({})
export class AlertingModule {
  static register(
    platform: Platform,
    settings: AlertSettings,
    overrides: AlertingOverrides = {},
  ): DynamicModule {
    return {
      module: AlertingModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [
        AlertsHandler,
        DataQualityHandler,
        DemandHandler,
        LifecycleHandler,
        SilencesHandler,
        ForecastsHandler,
      ],
      providers: [
        { provide: ALERT_SETTINGS, useValue: settings },
        { provide: Clock, useValue: overrides.clock ?? new Clock() },
        { provide: WorkSignals, useValue: overrides.signals ?? new WorkSignals() },
        PolicyService,
        AlertsRepository,
        AlertingMetrics,
        AlertsService,
        GroupsRepository,
        GroupingService,
        GroupFlushWorker,
        EscalationsRepository,
        EscalationWorker,
        MutingService,
        Notifier,
        DeliveriesRepository,
        DeliveryWorker,
        WebhookChannel,
        EmailChannel,
        SmsChannel,
        LifecycleRepository,
        LifecycleService,
        MaintenanceWorker,
        SilencesRepository,
        SilencesService,
        DemandRepository,
        ForecastsRepository,
        ForecastsService,
        ForecastWorker,
      ],
    };
  }
}
