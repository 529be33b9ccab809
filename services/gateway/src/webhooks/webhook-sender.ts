// The outbound HTTP call of a webhook delivery: the only place the gateway reaches partner systems.
import { Injectable } from '@nestjs/common';

export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendResult {
  statusCode: number;
}

@Injectable()
export class WebhookSender {
  /** POSTs the body; redirects are not followed, so a delivery only ever reaches the registered URL. */
  async post(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'user-agent': 'vigil-webhooks/1', ...headers },
      redirect: 'manual',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    // the receiver's answer body is not needed; reading it frees the connection
    await response.body?.cancel();
    return { statusCode: response.status };
  }
}
