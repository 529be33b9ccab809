// The chart's OTLP switch on the kind cluster: npm run cluster:up runs a trace backend in the ops zone (Jaeger v2,
// an OpenTelemetry Collector distribution: k8s/kind/jaeger.yaml) and sets `otlpEndpoint` to it, so every pod
// exports its spans there through the zones' NetworkPolicies. One partner transaction sent through the edge
// gateway with the caller's own traceparent is one trace in that backend: the caller's span as parent, spans of
// all five services and the edge, each from a pod of that component,
// hop by hop from the edge to alerting, with the validator's and scorer's Postgres writes inside.
import { waitFor } from '@vigil/testing';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { call, signIn } from './support/api.js';
import { NAMESPACE, RELEASE, kubectlJson, portForward, type PortForward } from './support/cluster.js';

const OPS_NAMESPACE = 'vigil-ops';
// the five services, and the edge gateway in the dmz (service.name gateway-edge) in front of the gateway API
const SERVICES = ['gateway-edge', 'gateway', 'ingest', 'validator', 'scorer', 'alerting'];
// the chart component whose pods run each service
const COMPONENT: Record<string, string> = { 'gateway-edge': 'gateway', gateway: 'gateway-api' };
// the batch span processor exports every 5 s; the trace is read again after longer than that
const EXPORT_DELAY_MS = 7_000;

interface JaegerSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
}

interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

const tag = (span: JaegerSpan, key: string): unknown => span.tags.find((t) => t.key === key)?.value;

describe("the cluster's traces in the ops zone's trace backend", () => {
  let gateway: PortForward;
  let jaeger: PortForward;
  beforeAll(async () => {
    gateway = await portForward(`${RELEASE}-gateway`, 8080);
    jaeger = await portForward('jaeger', 16686, OPS_NAMESPACE);
  }, 90_000);
  afterAll(() => {
    gateway?.close();
    jaeger?.close();
  });

  it('holds a transaction sent through the edge as one trace, from pods of all five services', async () => {
    const token = await signIn(gateway.url, 'partner-a');

    // the caller's trace: its span is the parent of the edge's, and the trace id is what the backend is asked for
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const transactionId = `trace-${Date.now().toString(36)}`;
    const submitted = await call(gateway.url, 'POST', '/v1/transactions', {
      token,
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: {
        transaction_id: transactionId,
        type: 'TRANSFER',
        amount: '120.00',
        currency: 'KES',
        timestamp: new Date().toISOString(),
        region: 'KE',
        channel: 'mobile_money',
        origin: { account: 'C-trace-1', balance_before: '1000.00', balance_after: '880.00' },
        destination: { account: 'C-trace-2' },
      },
    });
    expect(submitted.status).toBe(202);

    // complete once alerting's consumer span has arrived; then the other services' last export batches
    const hasAlerting = async (): Promise<boolean> => {
      const found = await call(jaeger.url, 'GET', `/api/traces/${traceId}`).catch(() => undefined);
      const trace = found?.status === 200 ? (found.json as { data: JaegerTrace[] }).data[0] : undefined;
      return trace?.spans.some((s) => trace.processes[s.processID]?.serviceName === 'alerting') ?? false;
    };
    await waitFor(hasAlerting, (found) => found, {
      what: 'the trace with an alerting span in Jaeger',
      timeoutMs: 120_000,
      intervalMs: 1_000,
    });
    await sleep(EXPORT_DELAY_MS);
    const read = await call(jaeger.url, 'GET', `/api/traces/${traceId}`);
    expect(read.status).toBe(200);
    const trace = (read.json as { data: JaegerTrace[] }).data[0]!;
    const serviceOf = (span: JaegerSpan) => trace.processes[span.processID]!.serviceName;
    const podOf = (span: JaegerSpan) =>
      String(trace.processes[span.processID]!.tags.find((t) => t.key === 'k8s.pod.name')?.value);
    const byId = new Map(trace.spans.map((s) => [s.spanID, s]));
    const parentOf = (span: JaegerSpan) => {
      const ref = span.references.find((r) => r.refType === 'CHILD_OF');
      return ref ? byId.get(ref.spanID) : undefined;
    };
    console.log(
      `trace ${traceId}: ${trace.spans.length} spans from ${[...new Set(trace.spans.map(podOf))].sort().join(', ')}`,
    );

    expect(new Set(trace.spans.map(serviceOf))).toEqual(new Set(SERVICES));

    // every span from a pod of its own component: the edge's in the dmz, the gateway API's in the app zone. A pod
    // is known by its ReplicaSet (its name without the last part), which the Deployment keeps after the
    // autoscaler has removed the pod: a scorer scaled down since the span was exported still counts as a scorer.
    const replicaSets = await kubectlJson<{
      items: { metadata: { name: string; labels?: Record<string, string> } }[];
    }>(['-n', NAMESPACE, 'get', 'replicasets', '-l', `app.kubernetes.io/instance=${RELEASE}`]);
    const componentOfReplicaSet = new Map(
      replicaSets.items.map((rs) => [
        rs.metadata.name,
        rs.metadata.labels?.['app.kubernetes.io/component'] ?? '',
      ]),
    );
    const componentOf = (pod: string) => componentOfReplicaSet.get(pod.replace(/-[^-]+$/, ''));
    for (const span of trace.spans) {
      const service = serviceOf(span);
      expect({ service, pod: podOf(span), component: componentOf(podOf(span)) }).toEqual({
        service,
        pod: podOf(span),
        component: COMPONENT[service] ?? service,
      });
    }

    // the root is the edge's span, the child of the caller's
    const roots = trace.spans.filter((s) => parentOf(s) === undefined);
    expect(roots.map((r) => [serviceOf(r), r.references.map((ref) => ref.spanID)])).toEqual([
      ['gateway-edge', [callerSpanId]],
    ]);

    // hop by hop: alerting's consumer span runs up through every service to the gateway
    const alertingConsumer = trace.spans.find(
      (s) => serviceOf(s) === 'alerting' && tag(s, 'span.kind') === 'consumer',
    );
    expect(alertingConsumer).toBeDefined();
    const servicesUp: string[] = [];
    for (let at: JaegerSpan | undefined = alertingConsumer; at; at = parentOf(at))
      if (servicesUp.at(-1) !== serviceOf(at)) servicesUp.push(serviceOf(at));
    expect(servicesUp).toEqual(['alerting', 'scorer', 'validator', 'ingest', 'gateway', 'gateway-edge']);

    // the Postgres writes, inside their service's spans
    for (const [service, name] of [
      ['validator', 'record verdicts'],
      ['scorer', 'commit scores'],
    ]) {
      const write = trace.spans.find(
        (s) =>
          serviceOf(s) === service && s.operationName === name && tag(s, 'db.system.name') === 'postgresql',
      );
      expect({ service, name, parent: write && serviceOf(parentOf(write)!) }).toEqual({
        service,
        name,
        parent: service,
      });
    }
  }, 240_000);
});
