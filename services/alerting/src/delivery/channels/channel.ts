// What every channel (webhook, e-mail, SMS) gets to send, and how it reports a failure.
import type { NotificationPayload } from '../../notifications/notification-payloads.js';

export interface OutgoingNotification {
  deliveryId: string;
  channelName: string;
  target: string;
  subject: string;
  payload: NotificationPayload;
}

export interface SendResult {
  statusCode?: number;
}

export interface ChannelSender {
  send(notification: OutgoingNotification): Promise<SendResult>;
  /** The remote end behind a target, e.g. a URL's origin: one circuit breaker each. */
  endpointOf(target: string): string;
}

/** A failed attempt; `permanent` when retrying cannot help (a 4xx answer, no server configured). */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly statusCode?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** HTTP answers worth retrying: timeouts, conflicts of the moment, throttling and server errors. */
export const retryableStatus = (status: number): boolean =>
  status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
