// One trace from publisher to handler: the W3C traceparent and the correlation id cross every NATS hop.
import type { INestMicroservice } from '@nestjs/common';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Headers } from '@vigil/contracts';
import { Correlation, startTelemetry } from '@vigil/observability';
import { TestNatsServer, waitFor } from '@vigil/testing';
import { JetStreamClient, type JetStreamMessageInfo } from '../src/index.js';
import {
  connectMessaging,
  greetRequest,
  handlerFor,
  moduleOf,
  provisionStreams,
  requestHandlerFor,
  startMicroservice,
  testConsumer,
  type Messaging,
} from './support.js';

// registered once per process (here: per test file), before anything traces
const exporter = new InMemorySpanExporter();
startTelemetry({ serviceName: 'messaging-test', spanProcessors: [new SimpleSpanProcessor({ exporter })] });

interface Seen {
  info: JetStreamMessageInfo;
  traceId: string | undefined;
  spanId: string | undefined;
  correlationId: string | undefined;
}

describe('trace context across NATS', () => {
  let server: TestNatsServer;
  let messaging: Messaging;
  let app: INestMicroservice;
  const consumer = testConsumer('traced');
  const seen: Seen[] = [];

  const record = (info: JetStreamMessageInfo) => {
    const active = trace.getActiveSpan()?.spanContext();
    seen.push({
      info,
      traceId: active?.traceId,
      spanId: active?.spanId,
      correlationId: Correlation.current(),
    });
  };

  beforeAll(async () => {
    server = await TestNatsServer.start();
    messaging = await connectMessaging(server.url);
    await provisionStreams(messaging.nats);
    app = await startMicroservice(
      messaging,
      moduleOf(
        handlerFor(consumer, (_ping, info) => Promise.resolve(record(info))),
        requestHandlerFor(greetRequest, ({ name }, info) => {
          record(info);
          return Promise.resolve({ greeting: `hello ${name}` });
        }),
      ),
      [consumer],
      [greetRequest],
    );
  });
  afterAll(async () => {
    await app?.close();
    await messaging?.nats.drain();
    await server?.dispose();
  });
  beforeEach(() => {
    seen.length = 0;
    exporter.reset();
  });

  const spanNamed = (name: string): ReadableSpan => {
    const span = exporter.getFinishedSpans().find((s) => s.name === name);
    if (!span)
      throw new Error(
        `no span "${name}" among ${exporter
          .getFinishedSpans()
          .map((s) => s.name)
          .join(', ')}`,
      );
    return span;
  };

  it("carries the publisher's active trace and the correlation id into the handler's context", async () => {
    const tracer = trace.getTracer('test');
    const traceId = await Correlation.run('corr-42', () =>
      tracer.startActiveSpan('submit', async (span) => {
        await messaging.publisher.publish(
          consumer.event,
          'KE',
          { id: 'txn-traced' },
          { msgId: 'txn-traced' },
        );
        span.end();
        return span.spanContext().traceId;
      }),
    );
    // the consumer span ends after the handler returns and the message is acked
    await waitFor(
      () => Promise.resolve(exporter.getFinishedSpans().map((s) => s.name)),
      (names) => seen.length === 1 && names.includes('process test.traced.KE'),
      { what: 'the handler to run and its span to end' },
    );

    const publish = spanNamed('publish test.traced.KE');
    const process = spanNamed('process test.traced.KE');
    const [handled] = seen as [Seen];
    expect(handled.info.headers?.get(Headers.traceparent)).toBe(
      `00-${traceId}-${publish.spanContext().spanId}-01`,
    );
    expect(publish.spanContext().traceId).toBe(traceId);
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect({ traceId: handled.traceId, spanId: handled.spanId }).toEqual({
      traceId,
      spanId: process.spanContext().spanId,
    });
    expect(handled.correlationId).toBe('corr-42');
    expect(handled.info.correlationId).toBe('corr-42');
    // the messaging conventions (no NATS instrumentation upstream: these attributes are the reference)
    expect(publish.kind).toBe(SpanKind.PRODUCER);
    expect(publish.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': 'test.traced.KE',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
    });
    expect(process.attributes).toMatchObject({
      'messaging.system': 'nats',
      'messaging.destination.name': 'test.traced.KE',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': consumer.durable,
      'messaging.nats.message.delivery_count': 1,
    });
  });

  it("carries the requester's trace and correlation id into a request handler", async () => {
    const client = new JetStreamClient(messaging.nats, messaging.publisher);
    const traceId = await Correlation.run('corr-43', () =>
      trace.getTracer('test').startActiveSpan('gateway request', async (span) => {
        await client.request(greetRequest, { name: 'Amina' });
        span.end();
        return span.spanContext().traceId;
      }),
    );

    const inTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
    const requester = inTrace.find((s) => s.kind === SpanKind.CLIENT && s.name === 'request testsvc.greet');
    const responder = inTrace.find((s) => s.kind === SpanKind.SERVER && s.name === 'process testsvc.greet');
    const [handled] = seen as [Seen];
    expect(responder?.parentSpanContext?.spanId).toBe(requester?.spanContext().spanId);
    expect({ traceId: handled.traceId, spanId: handled.spanId }).toEqual({
      traceId,
      spanId: responder?.spanContext().spanId,
    });
    expect(handled.correlationId).toBe('corr-43');
  });
});
