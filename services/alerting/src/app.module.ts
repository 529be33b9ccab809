import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from './alerts/alert-settings.js';
import { AlertsHandler } from './alerts/alerts.handler.js';
import { AlertsRepository } from './alerts/alerts.repository.js';
import { AlertsService } from './alerts/alerts.service.js';
import { DeliveryWorker } from './delivery/delivery.worker.js';

@Module({})
export class AlertingModule {
  static register(platform: Platform, settings: AlertSettings): DynamicModule {
    return {
      module: AlertingModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [AlertsHandler],
      providers: [
        AlertsService,
        AlertsRepository,
        DeliveryWorker,
        { provide: ALERT_SETTINGS, useValue: settings },
      ],
    };
  }
}
