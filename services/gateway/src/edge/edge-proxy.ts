// The gateway's edge mode: the internet-facing process forwards every request, streamed both ways, to the
// gateway API in the app zone and holds no database or NATS access (and no secret) of its own.
import { randomUUID } from 'node:crypto';
import {
  Agent,
  STATUS_CODES,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import { redactCardNumbers } from '@vigil/contracts';
import type { Logger } from '@vigil/observability';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface EdgeProxyOptions {
  upstream: URL;
  /** Largest request body forwarded; larger ones are refused here with 413. */
  bodyLimitBytes: number;
  /** An upstream connection quiet for this long is cut (the live feed sends a comment every 15 s). */
  idleTimeoutMs: number;
  logger: Logger;
  registry: Registry;
}

// RFC 9110 7.6.1: connection-specific fields are not forwarded
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PROBLEM_TYPES: Record<number, string> = {
  413: 'payload-too-large',
  502: 'bad-gateway',
  504: 'gateway-timeout',
};

/** Headers minus the hop-by-hop ones and any the Connection header names. */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.includes(name)) continue;
    kept[name] = value;
  }
  return kept;
}

export class EdgeProxy {
  private readonly agent = new Agent({ keepAlive: true, maxFreeSockets: 64 });
  private readonly duration: Histogram<'status_class'>;
  private readonly refused: Counter<'reason'>;
  private readonly tracer = trace.getTracer('gateway-edge');

  constructor(private readonly options: EdgeProxyOptions) {
    this.duration = new Histogram({
      name: 'vigil_edge_request_duration_seconds',
      help: 'Time from a request arriving at the edge to the upstream response head',
      labelNames: ['status_class'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [options.registry],
    });
    this.refused = new Counter({
      name: 'vigil_edge_refused_total',
      help: 'Requests the edge answered itself: body too large, upstream unreachable or silent',
      labelNames: ['reason'],
      registers: [options.registry],
    });
  }

  /** The request listener of the public HTTP server. */
  readonly handle = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const started = performance.now();
    const parent = propagation.extract(ROOT_CONTEXT, incoming.headers);
    const span = this.tracer.startSpan(
      `${incoming.method ?? 'GET'} (edge)`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': incoming.method ?? 'GET',
          // no query string, and no card number pasted into the path (PCI DSS)
          'url.path': redactCardNumbers((incoming.url ?? '/').split('?')[0] ?? '/'),
        },
      },
      parent,
    );
    const given = incoming.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    outgoing.on('close', () => span.end());

    const declared = Number(incoming.headers['content-length'] ?? 0);
    if (declared > this.options.bodyLimitBytes) {
      incoming.resume(); // read and drop what was sent, so the client receives the answer
      return this.refuse(outgoing, span, 413, 'body', requestId, this.tooLarge(declared), incoming.url);
    }

    const headers = endToEnd(incoming.headers);
    const client = incoming.socket.remoteAddress ?? '';
    const before = incoming.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = before ? `${String(before)}, ${client}` : client;
    headers['x-forwarded-proto'] ??= 'encrypted' in incoming.socket ? 'https' : 'http';
    headers['x-forwarded-host'] ??= incoming.headers.host ?? '';
    headers['x-request-id'] = requestId;
    headers.host = this.options.upstream.host;
    // the upstream's server span continues this one
    propagation.inject(trace.setSpan(parent, span), headers);

    const upstream = httpRequest(
      {
        protocol: this.options.upstream.protocol,
        hostname: this.options.upstream.hostname,
        port: this.options.upstream.port,
        method: incoming.method,
        path: incoming.url,
        headers,
        agent: this.agent,
        timeout: this.options.idleTimeoutMs,
      },
      (answer) => {
        const status = answer.statusCode ?? 502;
        this.duration.observe(
          { status_class: `${Math.floor(status / 100)}xx` },
          (performance.now() - started) / 1000,
        );
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        outgoing.writeHead(status, answer.statusMessage, endToEnd(answer.headers));
        // flush the head at once: a live feed's first bytes may be a while coming
        outgoing.flushHeaders();
        answer.pipe(outgoing);
        answer.on('error', () => outgoing.destroy());
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timed out')));
    upstream.on('error', (error) => {
      if (outgoing.headersSent) {
        outgoing.destroy(); // mid-stream: the client sees the cut, never a spliced answer
        return;
      }
      const timedOut = error.message === 'upstream timed out';
      this.options.logger.warn(
        { error: error.message, upstream: this.options.upstream.origin },
        'upstream failed',
      );
      this.refuse(
        outgoing,
        span,
        timedOut ? 504 : 502,
        timedOut ? 'timeout' : 'unreachable',
        requestId,
        timedOut
          ? `the gateway API did not answer within ${this.options.idleTimeoutMs / 1000} s; retry later`
          : 'the gateway API is unreachable; retry later',
        incoming.url,
      );
    });
    // the client went away (a closed live feed, an abandoned export): stop the upstream work too
    outgoing.on('close', () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });

    let received = 0;
    incoming.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.options.bodyLimitBytes) {
        incoming.unpipe(upstream);
        upstream.destroy();
        incoming.resume();
        this.refuse(outgoing, span, 413, 'body', requestId, this.tooLarge(received), incoming.url);
      }
    });
    incoming.pipe(upstream);
  };

  async close(): Promise<void> {
    this.agent.destroy();
    return Promise.resolve();
  }

  private tooLarge(bytes: number): string {
    return `request body of ${bytes} bytes or more exceeds the gateway's limit of ${this.options.bodyLimitBytes} bytes`;
  }

  private refuse(
    outgoing: ServerResponse,
    span: Span,
    status: 413 | 502 | 504,
    reason: string,
    requestId: string,
    detail: string,
    url: string | undefined,
  ): void {
    this.refused.inc({ reason });
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
    if (outgoing.headersSent) return;
    const body = JSON.stringify({
      type: `https://vigil.dev/problems/${PROBLEM_TYPES[status]}`,
      title: STATUS_CODES[status],
      status,
      detail,
      instance: (url ?? '/').split('?')[0],
    });
    const headers: OutgoingHttpHeaders = {
      'content-type': 'application/problem+json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId,
      'cache-control': 'no-store',
    };
    if (status !== 413) headers['retry-after'] = '1';
    if (status === 413) headers.connection = 'close';
    outgoing.writeHead(status, headers).end(body);
  }
}
