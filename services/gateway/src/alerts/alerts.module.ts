import { Module } from '@nestjs/common';
import { AlertsController } from './alerts.controller.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';
import { ForecastsController } from './forecasts.controller.js';

@Module({
  controllers: [AlertsController, ForecastsController],
  providers: [AlertsService, AlertsRepository],
})
export class AlertsModule {}
