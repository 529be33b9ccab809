// Sends notifications as plain-text e-mail through the configured SMTP server (nodemailer).
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createTransport, type Transporter } from 'nodemailer';
import { ALERT_SETTINGS, type AlertSettings } from '../../alerts/alert-settings.js';
import { textOf } from '../../notifications/notification-payloads.js';
import { DeliveryError, type ChannelSender, type OutgoingNotification, type SendResult } from './channel.js';

@Injectable()
export class EmailChannel implements ChannelSender, OnModuleDestroy {
  private readonly transport?: Transporter;

  constructor(@Inject(ALERT_SETTINGS) private readonly settings: AlertSettings) {
    const smtp = settings.smtp;
    if (smtp)
      this.transport = createTransport({
        host: smtp.host,
        port: smtp.port,
        secure: smtp.secure,
        requireTLS: smtp.requireTls,
        ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      });
  }

  endpointOf(): string {
    return this.settings.smtp
      ? `smtp://${this.settings.smtp.host}:${this.settings.smtp.port}`
      : 'smtp://unset';
  }

  async send(notification: OutgoingNotification): Promise<SendResult> {
    if (!this.transport || !this.settings.smtp)
      throw new DeliveryError('no SMTP server configured (ALERT_SMTP_HOST)', true);
    try {
      await this.transport.sendMail({
        from: this.settings.smtp.from,
        to: notification.target,
        subject: notification.subject,
        text: textOf(notification.payload),
        headers: { 'Vigil-Delivery-Id': notification.deliveryId },
      });
      return {};
    } catch (error) {
      const code = (error as { responseCode?: number }).responseCode;
      // SMTP 5xx is a refusal (unknown mailbox, policy); 4xx and connection errors may pass later
      throw new DeliveryError(`smtp: ${(error as Error).message}`, code !== undefined && code >= 500, code);
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
