// OpenTelemetry bootstrap: W3C propagation and async context always on, OTLP export only when configured.
import { hostname } from 'node:os';
import {
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

export interface TelemetryOptions {
  serviceName: string;
  /** The running build, e.g. the image tag; `service.version` on every span. */
  serviceVersion?: string;
  /** The Kubernetes pod (downward API); defaults to the host name, which is the pod's name in a cluster. */
  podName?: string;
  /** OTLP/HTTP endpoint, e.g. http://otel-collector:4318; export is off when empty. */
  otlpEndpoint?: string;
  /**
   * Share of new traces kept, 0 to 1 (default 1). Sampling is parent-based: a span follows the decision
   * carried in from its caller (HTTP traceparent, NATS headers), so a trace is kept or dropped whole.
   */
  sampleRatio?: number;
  /** Extra processors, e.g. an in-memory exporter in tests. */
  spanProcessors?: SpanProcessor[];
}

let started = false;
let provider: TracerProvider | undefined;

/**
 * Sets up tracing once per process; later calls return what the first set up. W3C propagation and the async
 * context are always on. Spans are recorded only when something receives them (an OTLP endpoint or an extra
 * processor): otherwise the API's no-op tracer stays in place, so a span costs nothing, no trace is started
 * here, and a caller's trace context (trace, parent span, sampled flag) passes on unchanged to the next hop.
 * Returns the SDK's provider when spans are recorded.
 */
export function startTelemetry(options: TelemetryOptions): TracerProvider | undefined {
  if (started) return provider;
  started = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const processors = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }) }));
  }
  if (processors.length === 0) return undefined;
  const pod = options.podName || hostname();
  provider = new TracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion ?? 'unknown',
      'service.instance.id': pod,
      'k8s.pod.name': pod,
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: processors,
  });
  trace.setGlobalTracerProvider(provider);
  return provider;
}

export async function stopTelemetry(): Promise<void> {
  await provider?.shutdown();
}

/** The tracer of one service: its name is the instrumentation scope, so spans say which service made them. */
export const tracerFor = (service: string): Tracer => trace.getTracer(service);

/**
 * The trace id of the active span when it is sampled, as an exemplar label set for a prom-client metric with
 * exemplars; an empty set otherwise (prom-client then keeps no exemplar).
 */
export function traceExemplar(): Record<string, string> {
  const span = trace.getActiveSpan()?.spanContext();
  return span && (span.traceFlags & 1) === 1 ? { trace_id: span.traceId } : {};
}

/** True inside a span that is being recorded: background work uses it to add spans only to a live trace. */
export const inRecordedTrace = (): boolean => trace.getActiveSpan()?.isRecording() ?? false;

/**
 * Runs `fn` in a CLIENT span (an outbound call: a webhook, an e-mail, an SMS), marked as an error when it
 * throws. Attributes name the kind of call and the server, never what is sent.
 */
export function clientSpan<T>(
  tracerName: string,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return trace
    .getTracer(tracerName)
    .startActiveSpan(name, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.setAttribute('error.type', error instanceof Error ? error.constructor.name : '_OTHER');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
}
