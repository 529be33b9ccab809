// The five services as separate processes exporting OTLP to a real Jaeger: quiet while idle (no root trace per
// tick), then one transaction through the gateway found in Jaeger as one trace that runs gateway -> ingest ->
// validator -> scorer -> alerting with the Postgres writes inside, following the messaging conventions, with
// no card number, token or secret in any attribute.
import { transactionKey } from '@vigil/contracts';
import { newTransaction, waitFor } from '@vigil/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { postJson, tokenFor } from '../support/api.js';
import { DEMO_PASSWORD, SERVICES, Suite, type ServiceName } from '../support/suite.js';
import { Jaeger, type JaegerSpan, type JaegerTrace } from './support.js';

const MINUTE = 60_000;
// the card-data test's vector (test/e2e/card-data.test.ts), and the suite's secrets
const PAN = '4539578763621486';
const PAN_PATTERN = /4539[ -]?5787[ -]?6362[ -]?1486/;
const SECRETS = [
  'suite-tokenization-key-0123456789abcdef',
  'suite-jwt-secret-0123456789abcdef0123456789',
  DEMO_PASSWORD,
];
// the batch span processor exports every 5 s; wait longer than that before calling something absent
const EXPORT_DELAY_MS = 7_000;

const tag = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;

describe('traces in Jaeger', () => {
  let jaeger: Jaeger;
  let suite: Suite;
  let startedAt: number;

  beforeAll(async () => {
    jaeger = await Jaeger.start();
    startedAt = Date.now();
    const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, LOG_LEVEL: 'info' };
    suite = await Suite.start({
      modes: Object.fromEntries(SERVICES.map((s) => [s, 'child-process'])),
      // the gateway logs each finished request at debug, within the request's span
      env: Object.fromEntries(
        SERVICES.map((s) => [
          s,
          { ...otlp, POD_NAME: `${s}-pod-0`, ...(s === 'gateway' ? { LOG_LEVEL: 'debug' } : {}) },
        ]),
      ),
    });
    // the child's ops port answers before its HTTP port listens
    await waitFor(
      () =>
        fetch(`${suite.gatewayUrl}/health`).then(
          (r) => r.status,
          () => 0,
        ),
      (status) => status === 200,
      { what: 'gateway listening', timeoutMs: MINUTE },
    );
  }, 3 * MINUTE);

  afterAll(async () => {
    await suite?.stop();
    await jaeger?.stop();
  });

  it(
    'holds no trace while the suite idles: pollers, leases and watchers start none',
    async () => {
      await sleep(EXPORT_DELAY_MS + 3_000);
      const found: Record<string, number> = {};
      for (const service of SERVICES) found[service] = (await jaeger.traces(service, startedAt)).length;
      expect(found).toEqual(Object.fromEntries(SERVICES.map((s) => [s, 0])));
    },
    MINUTE,
  );

  describe('one transaction through the gateway', () => {
    let trace: JaegerTrace;
    let serviceOf: (span: JaegerSpan) => string;
    let byId: Map<string, JaegerSpan>;
    let token: string;

    beforeAll(async () => {
      token = await tokenFor(suite.gatewayUrl, 'partner-a');
      const record = newTransaction({
        type: 'CARD_PAYMENT',
        channel: 'card',
        currency: 'USD',
        region: 'US',
        merchant: { id: 'm-2', mcc: '5411' },
        card: { number: PAN, holder: 'Ada Obi' },
        note: `ref ${PAN}`,
      });
      const reply = await postJson<{ results: { status: string }[] }>(
        `${suite.gatewayUrl}/v1/transactions`,
        [record],
        { authorization: `Bearer ${token}`, 'x-request-id': 'trace-e2e-1' },
      );
      expect(reply.body.results.map((r) => r.status)).toEqual(['accepted']);
      await waitFor(
        () =>
          suite.db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM scorer.scores WHERE transaction_id = $1`,
            [transactionKey('partner-a', record.transaction_id)],
          ),
        (rows) => rows[0]!.n === 1,
        { what: 'the transaction to be scored', timeoutMs: MINUTE },
      );
      // the trace is complete once alerting's consumer span has arrived; alerting also holds traces of other work
      // the record caused (the validator's data-quality window it closed), so the one wanted is the one the
      // gateway's request started
      const traceID = await waitFor(
        async () => {
          for (const { traceID } of await jaeger.traces('alerting', startedAt)) {
            const found = await jaeger.trace(traceID);
            if (found?.spans.some((s) => s.operationName === 'POST /v1/transactions')) return traceID;
          }
          return undefined;
        },
        (found) => found !== undefined,
        {
          what: "the gateway request's trace, with alerting's span, in Jaeger",
          timeoutMs: MINUTE,
          intervalMs: 500,
        },
      );
      await sleep(EXPORT_DELAY_MS); // the other services' last batches
      trace = (await jaeger.trace(traceID!))!;
      serviceOf = (span) => trace.processes[span.processID]!.serviceName;
      byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    }, 3 * MINUTE);

    const parentOf = (span: JaegerSpan) => {
      const ref = span.references.find((r) => r.refType === 'CHILD_OF');
      return ref ? byId.get(ref.spanID) : undefined;
    };
    /** The services from the span up to the root, each once, nearest first. */
    const servicesUp = (span: JaegerSpan): string[] => {
      const seen: string[] = [];
      for (let at: JaegerSpan | undefined = span; at; at = parentOf(at))
        if (seen.at(-1) !== serviceOf(at)) seen.push(serviceOf(at));
      return seen;
    };
    const spansOf = (service: ServiceName) => trace.spans.filter((s) => serviceOf(s) === service);

    it('is one trace with spans of all five services, rooted at the gateway request', async () => {
      expect(new Set(trace.spans.map(serviceOf))).toEqual(new Set(SERVICES));
      const roots = trace.spans.filter((s) => parentOf(s) === undefined);
      expect(roots.map((r) => [serviceOf(r), r.operationName])).toEqual([
        ['gateway', 'POST /v1/transactions'],
      ]);
      // and the work around it (leases, pollers, batch flushes) made no other trace: besides it there is only the
      // partner's sign-in, and possibly the validator's schema-drift announcement (the record's card fields are
      // drift of the api source), which a maintenance tick publishes for many records at once: work of its own
      const others = new Map<string, string[]>();
      for (const service of SERVICES)
        for (const other of await jaeger.traces(service, startedAt))
          if (other.traceID !== trace.traceID)
            others.set(
              other.traceID,
              other.spans.filter((s) => s.references.length === 0).map((s) => s.operationName),
            );
      const otherRoots = [...others.values()].flat().filter((name) => !name.startsWith('publish dq.drift.'));
      expect(otherRoots).toEqual(['POST /v1/auth/token']);
    });

    it('runs gateway -> ingest -> validator -> scorer -> alerting as parent and child across every NATS hop', () => {
      const alertingConsumer = spansOf('alerting').find((s) => tag(s, 'span.kind') === 'consumer')!;
      expect(alertingConsumer).toBeDefined();
      expect(servicesUp(alertingConsumer)).toEqual(['alerting', 'scorer', 'validator', 'ingest', 'gateway']);
      // each hop: a consumer's parent is the producer span of the service before it
      for (const consumer of trace.spans.filter((s) => tag(s, 'span.kind') === 'consumer')) {
        const producer = parentOf(consumer)!;
        expect({ consumer: consumer.operationName, parentKind: tag(producer, 'span.kind') }).toEqual({
          consumer: consumer.operationName,
          parentKind: expect.stringMatching(/^(producer|consumer)$/),
        });
      }
    });

    it('holds the Postgres writes of validator and scorer inside their consumer spans', () => {
      const writes = trace.spans.filter((s) => tag(s, 'db.system.name') === 'postgresql');
      const named = (service: ServiceName, name: string) =>
        writes.find((s) => serviceOf(s) === service && s.operationName === name);
      for (const [service, name] of [
        ['validator', 'record verdicts'],
        ['scorer', 'commit scores'],
      ] as const) {
        const write = named(service, name);
        expect({ service, name, found: write !== undefined }).toEqual({ service, name, found: true });
        const parent = parentOf(write!)!;
        expect(serviceOf(parent)).toBe(service);
        expect(servicesUp(write!).slice(0, 2)).toEqual([
          service,
          service === 'scorer' ? 'validator' : 'ingest',
        ]);
      }
      // the scorer takes messages in batches: a batch of this one message is the child of its producer (a
      // batch of several would be a root linked to each message's span)
      const batch = spansOf('scorer').find((s) => tag(s, 'messaging.batch.message_count') !== undefined)!;
      expect(tag(batch, 'messaging.batch.message_count')).toBe(1);
      expect([serviceOf(parentOf(batch)!), tag(parentOf(batch)!, 'span.kind')]).toEqual([
        'validator',
        'producer',
      ]);
    });

    it('follows the NATS messaging conventions on every hop', () => {
      const messaging = trace.spans.filter((s) => tag(s, 'messaging.system') !== undefined);
      expect(messaging.length).toBeGreaterThanOrEqual(8);
      for (const span of messaging) {
        expect({
          span: span.operationName,
          system: tag(span, 'messaging.system'),
          destination: tag(span, 'messaging.destination.name'),
          operation: tag(span, 'messaging.operation.type'),
        }).toEqual({
          span: span.operationName,
          system: 'nats',
          destination: expect.stringMatching(/^[A-Za-z0-9_.>*$-]+$/),
          operation: expect.stringMatching(/^(send|receive|process|settle)$/),
        });
        expect(String(tag(span, 'messaging.destination.name'))).not.toMatch(/^_INBOX\../);
      }
      const producers = messaging.filter((s) => tag(s, 'span.kind') === 'producer');
      expect(producers.map((s) => tag(s, 'messaging.operation.type'))).toEqual(producers.map(() => 'send'));
    });

    it('names each service, its version and its pod', () => {
      for (const span of trace.spans) {
        const process = trace.processes[span.processID]!;
        const tags = Object.fromEntries(process.tags.map((t) => [t.key, t.value]));
        expect(tags).toMatchObject({
          'service.version': '0.1.0',
          'k8s.pod.name': `${process.serviceName}-pod-0`,
        });
      }
    });

    it('carries no card number, token or secret in any attribute, event or process tag', () => {
      const text = JSON.stringify(trace);
      expect(text).not.toMatch(PAN_PATTERN);
      for (const secret of [...SECRETS, token]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/bearer /i);
    });

    it('writes trace_id and span_id on the log lines written within the trace', () => {
      const lines = suite
        .logs()
        .filter((line) => line.startsWith('{') && line.includes(trace.traceID))
        .map((line) => JSON.parse(line) as { trace_id?: string; span_id?: string });
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line.trace_id).toBe(trace.traceID);
        expect(byId.has(line.span_id!)).toBe(true);
      }
    });
  });
});
