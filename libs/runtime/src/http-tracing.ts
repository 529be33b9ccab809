// One SERVER span and one correlation id per HTTP request (fastify), active while Nest runs guards and handlers,
// so the spans and headers of what a handler calls (Postgres, the NATS request to ingest) continue the trace;
// and the RED metrics of every route (rate and errors by status, duration), with the trace as exemplar.
import { randomUUID } from 'node:crypto';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
} from '@opentelemetry/api';
import { redactCardNumbers } from '@vigil/contracts';
import { Correlation, TracedHistogram, type Logger } from '@vigil/observability';
import type { Registry } from 'prom-client';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface RequestTrace {
  span: Span;
  context: Context;
  correlationId: string;
  startedAt: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function traceRequests(
  fastify: FastifyInstance,
  service: string,
  logger: Logger,
  registry?: Registry,
): void {
  const tracer = trace.getTracer(service);
  const duration = registry
    ? new TracedHistogram({
        name: 'http_server_request_duration_seconds',
        help: 'http.server.request.duration: HTTP requests by method, route and status code',
        labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers: [registry],
      })
    : undefined;
  const traces = new WeakMap<FastifyRequest, RequestTrace>();

  /** Runs the rest of the request's lifecycle inside its correlation id and span. */
  const enter = (request: FastifyRequest, done: () => void) => {
    const current = traces.get(request);
    if (!current) return done();
    Correlation.run(current.correlationId, () => context.with(current.context, done));
  };

  fastify.addHook('onRequest', (request, reply, done) => {
    const route = request.routeOptions.url;
    // probes ask every few seconds: a trace each would bury the traces of real requests
    if (route?.startsWith('/health')) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `${request.method} ${route ?? 'unmatched route'}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          // the query string is left out, and a card number pasted into the path is masked (PCI DSS)
          'url.path': redactCardNumbers(request.url.split('?')[0] ?? ''),
          ...(route ? { 'http.route': route } : {}),
        },
      },
      parent,
    );
    const incoming = request.headers['x-request-id'];
    const correlationId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    void reply.header('x-request-id', correlationId);
    traces.set(request, {
      span,
      context: trace.setSpan(parent, span),
      correlationId,
      startedAt: performance.now(),
    });
    enter(request, done);
  });

  // Body parsing resumes from socket events, outside the context entered above: enter it again before the handler.
  fastify.addHook('preHandler', (request, _reply, done) => enter(request, done));

  const finish = (request: FastifyRequest, statusCode: number | undefined) => {
    const current = traces.get(request);
    if (!current) return;
    traces.delete(request);
    const { span } = current;
    if (statusCode === undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
    } else {
      span.setAttribute('http.response.status_code', statusCode);
      if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    if (duration)
      context.with(current.context, () =>
        duration.observe(
          {
            http_request_method: request.method,
            // unmatched paths share one label: a scan of random URLs must not create a series per URL
            http_route: request.routeOptions.url ?? 'unmatched',
            http_response_status_code: statusCode === undefined ? 'aborted' : String(statusCode),
          },
          (performance.now() - current.startedAt) / 1000,
        ),
      );
    span.end();
    // a hot path: build the log record and re-enter the request's context only when it would be written
    if (!logger.isLevelEnabled('debug')) return;
    Correlation.run(current.correlationId, () =>
      context.with(current.context, () =>
        logger.debug(
          {
            method: request.method,
            route: request.routeOptions.url,
            status: statusCode,
            ms: Math.round(performance.now() - current.startedAt),
          },
          'request finished',
        ),
      ),
    );
  };

  fastify.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
}
