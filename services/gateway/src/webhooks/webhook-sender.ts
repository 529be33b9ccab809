// The outbound HTTP call of a webhook delivery: the only place the gateway reaches partner systems.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { clientSpan } from '@vigil/observability';
import {
  resolveDestination,
  WebhookDestinationRefused,
  type ResolvedAddress,
} from './webhook-destination.js';
import { WebhookSettings } from './webhooks.settings.js';

export const DELIVERY_TIMEOUT_MS = 10_000;

export interface SendResult {
  statusCode: number;
}

@Injectable()
export class WebhookSender {
  constructor(@Inject(WebhookSettings) private readonly settings: WebhookSettings) {}

  /**
   * POSTs the body to the URL's host at an address checked just now, and connects to exactly that address
   * (TLS still verifies the certificate against the host name). Redirects are not followed: a 3xx answer is
   * a failed delivery like any other non-2xx, so a delivery only ever reaches the registered URL.
   */
  async post(url: string, body: string, headers: Record<string, string>): Promise<SendResult> {
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:')
      throw new WebhookDestinationRefused(`${target.protocol} is not a webhook protocol`);
    // the host, never the path or query: a partner's URL may carry its own token
    const attributes = {
      'http.request.method': 'POST',
      'server.address': target.hostname,
      'server.port': Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
    };
    return clientSpan('gateway', 'POST', attributes, async (span) => {
      const [checked] = await resolveDestination(target.hostname, {
        allowPrivateNetworks: this.settings.allowPrivateNetworks,
      });
      const response = await send(target, checked!, body, {
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
        'user-agent': 'vigil-webhooks/1',
        ...headers,
      });
      // the receiver's answer body is not needed; reading it frees the connection
      response.resume();
      span.setAttribute('http.response.status_code', response.statusCode ?? 0);
      return { statusCode: response.statusCode ?? 0 };
    });
  }
}

function send(
  target: URL,
  address: ResolvedAddress,
  body: string,
  headers: Record<string, string>,
): Promise<IncomingMessage> {
  // the connection's only name resolution: the address judged above, whatever DNS would answer now
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [address]);
    } else {
      callback(null, address.address, address.family);
    }
  };
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      target,
      {
        method: 'POST',
        headers,
        lookup: pinned,
        // a fresh connection each time: a pooled socket would have been opened to an address judged earlier
        agent: false,
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      },
      resolve,
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
