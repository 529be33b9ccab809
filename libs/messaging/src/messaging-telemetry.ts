// The NATS messaging conventions of OpenTelemetry, in one place: span attributes for every hop and the two
// duration histograms (client operations; processing of a delivered message), with trace-id exemplars.
import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { TracedHistogram } from '@vigil/observability';
import type { Registry } from 'prom-client';

/** send: publish or request; process: a handler ran on a delivered message; settle: ack, nak or term. */
export type MessagingOperationType = 'send' | 'receive' | 'process' | 'settle';

/**
 * The subject as a low-cardinality destination: reply inboxes (`_INBOX.<id>...`) and JetStream ack subjects
 * (`$JS.ACK.<stream>.<consumer>.<counters...>`) are collapsed, since every message has its own.
 */
export function destinationName(subject: string): string {
  if (subject.startsWith('_INBOX.')) return '_INBOX';
  if (subject.startsWith('$JS.ACK.')) {
    const [, , stream, consumer] = subject.split('.');
    return stream && consumer ? `$JS.ACK.${stream}.${consumer}` : '$JS.ACK';
  }
  return subject;
}

/** The span attributes of one messaging operation on `subject`. */
export function messagingAttributes(
  subject: string,
  operation: { type: MessagingOperationType; name: string },
  extra: Attributes = {},
): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.destination.name': destinationName(subject),
    'messaging.operation.type': operation.type,
    'messaging.operation.name': operation.name,
    ...extra,
  };
}

type ClientLabels =
  'messaging_system' | 'messaging_operation_name' | 'messaging_destination_name' | 'error_type';
type ProcessLabels =
  'messaging_system' | 'messaging_destination_name' | 'messaging_consumer_group_name' | 'error_type';

export interface MessagingMetrics {
  /** messaging.client.operation.duration: publish and request, from the client's side. */
  clientOperation: TracedHistogram<ClientLabels>;
  /** messaging.process.duration: a delivered message handled, from delivery to settling. */
  process: TracedHistogram<ProcessLabels>;
}

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const byRegistry = new WeakMap<Registry, MessagingMetrics>();

/** One set per registry: the publisher, the boundaries and the request server of a process share them. */
export function messagingMetricsOf(registry: Registry): MessagingMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      clientOperation: new TracedHistogram({
        name: 'messaging_client_operation_duration_seconds',
        help: 'messaging.client.operation.duration: NATS publish and request, by operation and destination',
        labelNames: [
          'messaging_system',
          'messaging_operation_name',
          'messaging_destination_name',
          'error_type',
        ],
        buckets: BUCKETS,
        registers: [registry],
      }),
      process: new TracedHistogram({
        name: 'messaging_process_duration_seconds',
        help: 'messaging.process.duration: a delivered NATS message handled, by destination and consumer',
        labelNames: [
          'messaging_system',
          'messaging_destination_name',
          'messaging_consumer_group_name',
          'error_type',
        ],
        buckets: BUCKETS,
        registers: [registry],
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Observes one client operation; call inside its span so the exemplar names the trace. */
export function observeClientOperation(
  metrics: MessagingMetrics | undefined,
  operation: string,
  subject: string,
  seconds: number,
  errorType = '',
): void {
  metrics?.clientOperation.observe(
    {
      messaging_system: 'nats',
      messaging_operation_name: operation,
      messaging_destination_name: destinationName(subject),
      error_type: errorType,
    },
    seconds,
  );
}

const clientTracer = trace.getTracer('vigil-messaging');

/**
 * Runs one client operation (a publish, a request) in its producer or client span named `<operation> <subject>`:
 * a failure marks the span and the duration metric with its error.type, and the duration is observed however
 * the operation ends.
 */
export function clientOperation<T>(
  metrics: MessagingMetrics | undefined,
  operation: 'publish' | 'request',
  subject: string,
  attributes: Attributes,
  run: () => Promise<T>,
): Promise<T> {
  const kind = operation === 'publish' ? SpanKind.PRODUCER : SpanKind.CLIENT;
  const name = `${operation} ${attributes['messaging.destination.name'] as string}`;
  return clientTracer.startActiveSpan(name, { kind, attributes }, async (span) => {
    const started = performance.now();
    let failure = '';
    try {
      return await run();
    } catch (error) {
      failure = errorType(error);
      span.setAttribute('error.type', failure);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      observeClientOperation(metrics, operation, subject, (performance.now() - started) / 1000, failure);
      span.end();
    }
  });
}

/** Observes one processed message; call inside its span so the exemplar names the trace. */
export function observeProcess(
  metrics: MessagingMetrics | undefined,
  subject: string,
  consumer: string,
  seconds: number,
  errorType = '',
): void {
  metrics?.process.observe(
    {
      messaging_system: 'nats',
      messaging_destination_name: destinationName(subject),
      messaging_consumer_group_name: consumer,
      error_type: errorType,
    },
    seconds,
  );
}

/** The error.type of a failed operation: its class name, bounded. */
export const errorType = (error: unknown): string =>
  error instanceof Error ? error.constructor.name.slice(0, 64) : '_OTHER';
