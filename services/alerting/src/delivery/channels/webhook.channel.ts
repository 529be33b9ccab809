// Posts the notification as JSON, signed (Vigil-Signature) so the receiver can tell it came from Vigil unchanged.
import { Inject, Injectable } from '@nestjs/common';
import { ALERT_SETTINGS, type AlertSettings } from '../../alerts/alert-settings.js';
import { Clock } from '../../clock/clock.js';
import { SIGNATURE_HEADER, signWebhook } from '../signature.js';
import {
  DeliveryError,
  retryableStatus,
  type ChannelSender,
  type OutgoingNotification,
  type SendResult,
} from './channel.js';

const TIMEOUT_MS = 10_000;

@Injectable()
export class WebhookChannel implements ChannelSender {
  constructor(
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  endpointOf(target: string): string {
    return new URL(target).origin;
  }

  async send(notification: OutgoingNotification): Promise<SendResult> {
    const body = JSON.stringify(notification.payload.body);
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    let response: Response;
    try {
      response = await fetch(notification.target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'vigil-alerting',
          [SIGNATURE_HEADER]: signWebhook(this.settings.webhookSecret, body, timestamp),
          'Vigil-Delivery-Id': notification.deliveryId,
          'Vigil-Notification-Kind': notification.payload.kind,
        },
        body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new DeliveryError(`webhook unreachable: ${(error as Error).message}`, false);
    }
    await response.body?.cancel();
    if (!response.ok)
      throw new DeliveryError(
        `webhook answered ${response.status}`,
        !retryableStatus(response.status),
        response.status,
      );
    return { statusCode: response.status };
  }
}
