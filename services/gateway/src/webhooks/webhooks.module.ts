import { Module, type DynamicModule } from '@nestjs/common';
import { KeyCipher } from '../auth/key-cipher.js';
import { WebhookDeliveryWorker } from './webhook-delivery.worker.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksRepository } from './webhooks.repository.js';
import { WebhooksService } from './webhooks.service.js';
import { WebhookSettings } from './webhooks.settings.js';

/** Partner webhooks: registration over HTTP, delivery of the partner's scored transactions. */
@Module({})
export class WebhooksModule {
  static register(settings: WebhookSettings, cipher: KeyCipher): DynamicModule {
    return {
      module: WebhooksModule,
      controllers: [WebhooksController],
      providers: [
        { provide: WebhookSettings, useValue: settings },
        { provide: KeyCipher, useValue: cipher },
        WebhooksRepository,
        WebhooksService,
        WebhookSender,
        WebhookDeliveryWorker,
      ],
    };
  }
}
