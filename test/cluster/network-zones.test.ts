// The network zones' truth table (test/k8s/support/zone-table.ts, checked there against an evaluator of the rendered
// NetworkPolicies) repeated with real connections between real pods of the kind cluster, where kube-router enforces
// the policies. A row's source is the release's own pod (kubectl exec) or a probe pod with the labels the table
// gives the pods around the release; "internet" as a source is a probe pod in a namespace of its own, outside the
// release. Rows towards the internet or a private address outside the cluster are left to the evaluator: this
// machine sends no traffic beyond itself.
import {
  RELEASE_PODS,
  defaultTable,
  namespaces,
  outsidePods,
  row,
  type Name,
  type Row,
} from '../k8s/support/zone-table.js';
import { NAMESPACE, componentPod, kubectl, readyPods, type RunningPod } from './support/cluster.js';

const PROBE_IMAGE = 'vigil/nats:2.15.2'; // bash, timeout and getent on the Debian base, already on the node
const INTERNET_NAMESPACE = 'vigil-zones-outside';
const PROBE_LABEL = 'vigil.io/zone-probe';

const COMPONENTS: Record<keyof typeof RELEASE_PODS, string> = {
  gateway: 'gateway',
  gatewayApi: 'gateway-api',
  ingest: 'ingest',
  validator: 'validator',
  scorer: 'scorer',
  alerting: 'alerting',
  nats: 'nats',
  postgres: 'postgresql',
  test: 'test',
};

const outsideTheMachine = new Set<Name>(['internet', 'private-address']);
const realRows = defaultTable.filter((r) => !outsideTheMachine.has(r.to));

// A pod without the chart's labels, in the release's namespace, reaches no port of the release but the public one.
const unlabelled: Row[] = [
  row('unrelated', 'gatewayApi', 9105, false),
  row('unrelated', 'ingest', 8081, false),
  row('unrelated', 'ingest', 9101, false),
  row('unrelated', 'validator', 9102, false),
  row('unrelated', 'scorer', 9103, false),
  row('unrelated', 'alerting', 9104, false),
  row('unrelated', 'nats', 8222, false),
  row('unrelated', 'gateway', 9105, false),
];

function probeManifest(name: string, namespace: string, labels: Record<string, string>): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { ...labels, [PROBE_LABEL]: 'true' } },
    spec: {
      automountServiceAccountToken: false,
      terminationGracePeriodSeconds: 0,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'probe',
          image: PROBE_IMAGE,
          imagePullPolicy: 'IfNotPresent',
          command: ['sleep', 'infinity'],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
          resources: { requests: { cpu: '5m', memory: '8Mi' } },
        },
      ],
    },
  };
}

/** The probe pods: the table's pods around the release (in their namespaces) and the stand-in for the internet. */
function probes(): { name: string; namespace: string; labels: Record<string, string> }[] {
  const used = new Set(realRows.concat(unlabelled).flatMap((r) => [r.from, r.to]));
  return [
    ...outsidePods
      .filter((pod) => used.has(pod.name as Name) && pod.name !== 'coredns')
      .map((pod) => ({ name: pod.name, namespace: pod.namespace, labels: pod.labels })),
    { name: 'internet', namespace: INTERNET_NAMESPACE, labels: {} },
  ];
}

async function applyProbes(): Promise<void> {
  const all = probes();
  const extraNamespaces = [...new Set(all.map((p) => p.namespace))].filter((ns) => ns !== NAMESPACE);
  const documents = [
    ...extraNamespaces.map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: namespaces.find((ns) => ns.name === name)?.labels ?? {} },
    })),
    ...all.map((p) => probeManifest(p.name, p.namespace, p.labels)),
  ];
  await kubectl(['apply', '-f', '-'], { input: documents.map((d) => JSON.stringify(d)).join('\n---\n') });
  for (const p of all) {
    await kubectl(['-n', p.namespace, 'wait', '--for=condition=Ready', `pod/${p.name}`, '--timeout=120s'], {
      timeoutMs: 150_000,
    });
  }
}

async function deleteProbes(): Promise<void> {
  const all = probes();
  for (const namespace of new Set(all.map((p) => p.namespace))) {
    await kubectl(['-n', namespace, 'delete', 'pod', '-l', `${PROBE_LABEL}=true`, '--wait=false']).catch(
      () => '',
    );
  }
  await kubectl(['delete', 'namespace', INTERNET_NAMESPACE, '--wait=false', '--ignore-not-found']).catch(
    () => '',
  );
}

interface Target {
  ip: string;
  port: number;
}

async function endpointPod(name: Name): Promise<RunningPod> {
  if (name in RELEASE_PODS) return componentPod(COMPONENTS[name as keyof typeof RELEASE_PODS]);
  if (name === 'coredns') {
    const [pod] = await readyPods('kube-system', 'k8s-app=kube-dns');
    if (!pod) throw new Error('no Ready CoreDNS pod');
    return pod;
  }
  const probe = probes().find((p) => p.name === name);
  if (!probe) throw new Error(`no pod for ${name}`);
  const [pod] = await readyPods(probe.namespace, `${PROBE_LABEL}=true`).then((pods) =>
    pods.filter((p) => p.name === name),
  );
  if (!pod) throw new Error(`probe pod ${name} is not Ready`);
  return pod;
}

/** Opens the connection of one row from inside its source pod: "open" when it connected (or DNS answered). */
async function probe(source: RunningPod, target: Target, protocol: string): Promise<'open' | 'closed'> {
  const script =
    protocol === 'UDP'
      ? // a DNS question over UDP to the cluster DNS
        'getent hosts kubernetes.default.svc.cluster.local >/dev/null && echo open || echo closed'
      : `timeout 3 bash -c 'exec 3<>/dev/tcp/${target.ip}/${target.port}' 2>/dev/null && echo open || echo closed`;
  const output = await kubectl(['-n', source.namespace, 'exec', source.name, '--', 'bash', '-c', script], {
    timeoutMs: 30_000,
  });
  return output.trim().endsWith('open') ? 'open' : 'closed';
}

async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

const key = (r: Row) => `${r.from}->${r.to}:${r.port}/${r.protocol ?? 'TCP'}`;
const title = '$from -> $to:$port/$protocol allowed: $allowed';

describe('network zones with real connections on the kind cluster', () => {
  const outcomes = new Map<string, 'open' | 'closed'>();

  beforeAll(async () => {
    await applyProbes();
    const rows = [...realRows, ...unlabelled];
    const pods = new Map<Name, RunningPod>();
    for (const name of new Set(rows.flatMap((r) => [r.from, r.to]))) pods.set(name, await endpointPod(name));
    const started = Date.now();
    const results = await mapLimited(rows, 6, (r) =>
      probe(pods.get(r.from)!, { ip: pods.get(r.to)!.ip, port: r.port }, r.protocol ?? 'TCP'),
    );
    rows.forEach((r, index) => outcomes.set(key(r), results[index]!));
    console.log(`${rows.length} connections probed in ${Math.round((Date.now() - started) / 1000)} s`);
  }, 600_000);

  afterAll(async () => {
    await deleteProbes();
  }, 120_000);

  describe('the truth table of test/k8s/support/zone-table.ts', () => {
    it.each(realRows)(title, (r) => {
      expect(outcomes.get(key(r))).toBe(r.allowed ? 'open' : 'closed');
    });
  });

  describe('a pod without the chart labels reaches no port of the release but the public API', () => {
    it.each(unlabelled)(title, (r) => {
      expect(outcomes.get(key(r))).toBe('closed');
    });
  });
});
