import { Module, type DynamicModule } from '@nestjs/common';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';
import { WebhookSettings } from './webhooks.settings.js';

/** Partner webhooks: registration over HTTP, delivery of the partner's scored transactions. */
@Module({})
export class WebhooksModule {
  static register(settings: WebhookSettings): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [WebhooksController],
      providers: [
        { provide: WebhookSettings, useValue: settings },
        WebhooksRepository,
        WebhooksService,
        WebhookSender,
        WebhookDeliveryWorker,
      ],
    };
  }
}
