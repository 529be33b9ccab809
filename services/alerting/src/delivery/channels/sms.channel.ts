// Sends a short text through an SMS provider's HTTP API: POST {to, from, text} with a bearer token. Providers
// with another request shape get their own adapter behind the same ChannelSender interface.
import { Inject, Injectable } from '@nestjs/common';
import { ALERT_SETTINGS, type AlertSettings } from '../../alerts/alert-settings.js';
import {
  DeliveryError,
  retryableStatus,
  type ChannelSender,
  type OutgoingNotification,
  type SendResult,
} from './channel.js';

/** Three concatenated SMS segments. */
const MAX_TEXT = 459;

@Injectable()
export class SmsChannel implements ChannelSender {
  constructor(@Inject(ALERT_SETTINGS) private readonly settings: AlertSettings) {}

  endpointOf(): string {
    return this.settings.sms ? new URL(this.settings.sms.url).origin : 'sms://unset';
  }

  async send(notification: OutgoingNotification): Promise<SendResult> {
    const sms = this.settings.sms;
    if (!sms) throw new DeliveryError('no SMS provider configured (ALERT_SMS_URL)', true);
    const text =
      notification.subject.length > MAX_TEXT
        ? `${notification.subject.slice(0, MAX_TEXT - 1)}…`
        : notification.subject;
    let response: Response;
    try {
      response = await fetch(sms.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${sms.token}`,
          'Idempotency-Key': notification.deliveryId,
        },
        body: JSON.stringify({ to: notification.target, from: sms.from, text }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new DeliveryError(`sms provider unreachable: ${(error as Error).message}`, false);
    }
    await response.body?.cancel();
    if (!response.ok)
      throw new DeliveryError(
        `sms provider answered ${response.status}`,
        !retryableStatus(response.status),
        response.status,
      );
    return { statusCode: response.status };
  }
}
