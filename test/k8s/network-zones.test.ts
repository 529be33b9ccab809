// The network zones as a connectivity truth table over the NetworkPolicies helm renders. No CNI runs here,
// so test/k8s/support/network-policy.ts evaluates them (its semantics are tested in network-policy.spec.ts)
// for the release's pods plus the cluster around them: DNS, an observability namespace, KEDA, the internet.
import {
  ClusterModel,
  type Endpoint,
  type NamespaceModel,
  type PodModel,
  type Protocol,
} from './support/network-policy.js';
import { networkPolicies, podModels, renderedPods } from './support/policy.js';
import { VALUES, renderChart, tempFile } from './support/tools.js';

const NAMESPACE = 'vigil';
const INTERNET: Endpoint = { external: '203.0.113.10' };
const PRIVATE_ADDRESS: Endpoint = { external: '10.1.2.3' };

const outsidePods: PodModel[] = [
  {
    name: 'coredns',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    ip: '10.96.0.10',
    ports: [
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
    ],
  },
  {
    name: 'prometheus',
    namespace: 'observability',
    labels: { app: 'prometheus' },
    ip: '10.244.9.1',
    ports: [],
  },
  { name: 'keda-operator', namespace: 'keda', labels: { app: 'keda-operator' }, ip: '10.244.9.2', ports: [] },
  {
    name: 'ingress-controller',
    namespace: 'ingress-nginx',
    labels: { app: 'ingress-nginx' },
    ip: '10.244.9.6',
    ports: [],
  },
  {
    name: 'external-nats',
    namespace: 'nats',
    labels: { 'app.kubernetes.io/name': 'nats' },
    ip: '10.244.9.7',
    ports: [{ name: 'nats', containerPort: 4222 }],
  },
  {
    name: 'external-postgres',
    namespace: 'postgres',
    labels: { app: 'postgres' },
    ip: '10.244.9.8',
    ports: [],
  },
  { name: 'importer', namespace: 'imports', labels: { app: 'paysim-import' }, ip: '10.244.9.5', ports: [] },
  // another application's pod in the same namespace: not part of the release
  { name: 'unrelated', namespace: NAMESPACE, labels: { app: 'unrelated' }, ip: '10.244.9.3', ports: [] },
  // a further dmz pod of the release, to show the zone itself gets nothing the edge gateway is not given
  {
    name: 'dmz-extra',
    namespace: NAMESPACE,
    labels: {
      'app.kubernetes.io/name': 'vigil',
      'app.kubernetes.io/instance': 'vigil',
      'app.kubernetes.io/component': 'dmz-extra',
      'vigil.io/zone': 'dmz',
    },
    ip: '10.244.9.4',
    ports: [],
  },
];

const namespaces: NamespaceModel[] = [
  { name: NAMESPACE, labels: { 'kubernetes.io/metadata.name': NAMESPACE } },
  { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  {
    name: 'observability',
    labels: { 'kubernetes.io/metadata.name': 'observability', 'vigil.io/zone': 'ops' },
  },
  { name: 'keda', labels: { 'kubernetes.io/metadata.name': 'keda' } },
  { name: 'imports', labels: { 'kubernetes.io/metadata.name': 'imports' } },
  { name: 'ingress-nginx', labels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
  { name: 'nats', labels: { 'kubernetes.io/metadata.name': 'nats' } },
  { name: 'postgres', labels: { 'kubernetes.io/metadata.name': 'postgres' } },
];

async function zoneModel(
  set: Record<string, string> = {},
  values?: string,
  files: readonly string[] = [],
): Promise<ClusterModel> {
  const valuesFiles = [...files, ...(values === undefined ? [] : [tempFile('values.yaml', values)])];
  const { manifests } = await renderChart({ release: 'vigil', namespace: NAMESPACE, set, valuesFiles });
  const pods = podModels(renderedPods(manifests, NAMESPACE));
  return new ClusterModel(namespaces, [...pods, ...outsidePods], networkPolicies(manifests, NAMESPACE));
}

const RELEASE_PODS = {
  gateway: 'Deployment/vigil-gateway',
  gatewayApi: 'Deployment/vigil-gateway-api',
  ingest: 'Deployment/vigil-ingest',
  validator: 'Deployment/vigil-validator',
  scorer: 'Deployment/vigil-scorer',
  alerting: 'Deployment/vigil-alerting',
  nats: 'StatefulSet/vigil-nats',
  postgres: 'StatefulSet/vigil-postgresql',
  test: 'Pod/vigil-test',
};
type OutsidePod =
  | 'coredns'
  | 'prometheus'
  | 'keda-operator'
  | 'importer'
  | 'unrelated'
  | 'dmz-extra'
  | 'ingress-controller'
  | 'external-nats'
  | 'external-postgres';
type Name = keyof typeof RELEASE_PODS | 'internet' | 'private-address' | OutsidePod;

function endpoint(model: ClusterModel, name: Name): Endpoint {
  if (name === 'internet') return INTERNET;
  if (name === 'private-address') return PRIVATE_ADDRESS;
  const owner = RELEASE_PODS[name as keyof typeof RELEASE_PODS];
  const pod = model.pods.find((p) => p.name === (owner ?? name));
  if (!pod) throw new Error(`no pod ${name} rendered`);
  return { pod };
}

interface Row {
  from: Name;
  to: Name;
  port: number;
  protocol?: Protocol;
  allowed: boolean;
}

const row = (from: Name, to: Name, port: number, allowed: boolean, protocol: Protocol = 'TCP'): Row => ({
  from,
  to,
  port,
  allowed,
  protocol,
});

// Default values: production mode, bundled NATS and PostgreSQL, KEDA off.
const defaultTable: Row[] = [
  // dmz: the edge gateway reaches gateway-api and nothing else
  row('internet', 'gateway', 8080, true),
  row('internet', 'gateway', 9105, false),
  row('gateway', 'gatewayApi', 8080, true), // every request is forwarded
  row('gateway', 'gatewayApi', 9105, false),
  row('gateway', 'postgres', 5432, false), // dmz -> data
  row('gateway', 'nats', 4222, false),
  row('gateway', 'nats', 8222, false),
  row('gateway', 'ingest', 8081, false),
  row('gateway', 'validator', 9102, false),
  row('gateway', 'internet', 443, false),
  row('dmz-extra', 'gatewayApi', 8080, false), // opened for the gateway only, not the zone
  row('dmz-extra', 'nats', 4222, false), // dmz -> data
  row('dmz-extra', 'postgres', 5432, false),
  row('dmz-extra', 'internet', 443, false),
  // app: gateway-api, behind the edge gateway
  row('internet', 'gatewayApi', 8080, false),
  row('internet', 'gatewayApi', 9105, false),
  row('gatewayApi', 'nats', 4222, true), // request/reply to ingest
  row('gatewayApi', 'nats', 8222, false),
  row('gatewayApi', 'postgres', 5432, true), // sign-in and the query API
  row('gatewayApi', 'internet', 443, false), // closed unless services.gatewayApi.egress opens it
  row('gatewayApi', 'gateway', 8080, false),
  row('gatewayApi', 'ingest', 8081, false),
  row('validator', 'gatewayApi', 8080, false),
  row('ingest', 'gatewayApi', 8080, false),
  row('unrelated', 'gatewayApi', 8080, false),
  // app
  row('validator', 'nats', 4222, true),
  row('validator', 'postgres', 5432, true),
  row('ingest', 'nats', 4222, true),
  row('ingest', 'postgres', 5432, true),
  row('scorer', 'nats', 4222, true),
  row('scorer', 'postgres', 5432, true),
  row('alerting', 'nats', 4222, true),
  row('alerting', 'postgres', 5432, true),
  row('alerting', 'internet', 443, true), // webhook deliveries
  row('alerting', 'private-address', 443, false),
  row('alerting', 'internet', 80, false),
  row('validator', 'internet', 443, false),
  row('validator', 'gateway', 8080, false),
  row('validator', 'scorer', 9103, false),
  row('scorer', 'ingest', 8081, false), // the internal ingest API is closed unless networkPolicy.ingest.from lists peers
  // data
  row('internet', 'nats', 4222, false),
  row('internet', 'postgres', 5432, false),
  row('internet', 'ingest', 8081, false),
  row('internet', 'validator', 9102, false),
  row('nats', 'postgres', 5432, false),
  row('postgres', 'nats', 4222, false),
  row('postgres', 'internet', 443, false),
  row('nats', 'internet', 443, false),
  // ops
  row('prometheus', 'gateway', 9105, true),
  row('prometheus', 'gatewayApi', 9105, true),
  row('prometheus', 'gatewayApi', 8080, false),
  row('prometheus', 'ingest', 9101, true),
  row('prometheus', 'validator', 9102, true),
  row('prometheus', 'scorer', 9103, true),
  row('prometheus', 'alerting', 9104, true),
  row('prometheus', 'nats', 8222, true),
  row('prometheus', 'nats', 4222, false),
  row('prometheus', 'postgres', 5432, false),
  row('keda-operator', 'nats', 8222, false), // KEDA off
  // the rest of the cluster
  row('unrelated', 'nats', 4222, false),
  row('unrelated', 'postgres', 5432, false),
  row('unrelated', 'gateway', 8080, true),
  row('importer', 'ingest', 8081, false),
  // DNS for every pod of the release, and nothing else of kube-system
  ...(
    ['gateway', 'gatewayApi', 'ingest', 'validator', 'scorer', 'alerting', 'nats', 'postgres'] as const
  ).flatMap((name) => [
    row(name, 'coredns', 53, true, 'UDP'),
    row(name, 'coredns', 53, true, 'TCP'),
    row(name, 'coredns', 9153, false),
  ]),
];

function check(model: ClusterModel, { from, to, port, protocol, allowed }: Row): void {
  const verdict = model.allows(endpoint(model, from), endpoint(model, to), port, protocol);
  if (verdict.allowed !== allowed) {
    throw new Error(
      `${from} -> ${to}:${port}/${protocol ?? 'TCP'} expected ${allowed ? 'allowed' : 'denied'}, got ${
        verdict.allowed ? 'allowed' : 'denied'
      }\n  egress: ${verdict.egress}\n  ingress: ${verdict.ingress}`,
    );
  }
}

const title = '$from -> $to:$port/$protocol allowed: $allowed';

describe('network zones (default values)', () => {
  let model: ClusterModel;
  beforeAll(async () => {
    model = await zoneModel();
  }, 60_000);

  it.each(defaultTable)(title, (r) => check(model, r));
});

describe('network zones with KEDA', () => {
  let model: ClusterModel;
  beforeAll(async () => {
    model = await zoneModel({ 'keda.enabled': 'true' });
  }, 60_000);

  it.each([row('keda-operator', 'nats', 8222, true), row('keda-operator', 'nats', 4222, false)])(title, (r) =>
    check(model, r),
  );
});

describe('network zones with an import namespace allowed to the ingest API', () => {
  let model: ClusterModel;
  beforeAll(async () => {
    model = await zoneModel(
      {},
      'networkPolicy:\n  ingest:\n    from:\n      - namespaceSelector:\n          matchLabels:\n            kubernetes.io/metadata.name: imports\n',
    );
  }, 60_000);

  it.each([
    row('importer', 'ingest', 8081, true),
    row('importer', 'ingest', 9101, false),
    row('importer', 'nats', 4222, false),
    row('scorer', 'ingest', 8081, false),
  ])(title, (r) => check(model, r));
});

describe('network zones of the helm test pod (development mode)', () => {
  let model: ClusterModel;
  beforeAll(async () => {
    model = await zoneModel({ environment: 'development' });
  }, 60_000);

  it.each([
    row('test', 'gateway', 8080, true),
    row('test', 'gatewayApi', 8080, false),
    row('test', 'nats', 4222, false),
    row('test', 'postgres', 5432, false),
    row('test', 'internet', 443, false),
    row('test', 'coredns', 53, true, 'UDP'),
  ])(title, (r) => check(model, r));
});

describe('network zones with the production values (external NATS and PostgreSQL, an ingress controller)', () => {
  let model: ClusterModel;
  beforeAll(async () => {
    model = await zoneModel({ 'tests.credentialsSecret': 'vigil-test-user' }, undefined, VALUES.production);
  }, 60_000);

  it.each([
    row('internet', 'gateway', 8080, false), // only through the ingress controller
    row('ingress-controller', 'gateway', 8080, true),
    row('test', 'gateway', 8080, true),
    row('internet', 'gatewayApi', 8080, false),
    row('ingress-controller', 'gatewayApi', 8080, false), // only through the edge gateway
    row('gateway', 'gatewayApi', 8080, true),
    row('gateway', 'external-nats', 4222, false),
    row('gateway', 'external-postgres', 5432, false),
    row('gatewayApi', 'external-nats', 4222, true),
    row('gatewayApi', 'external-postgres', 5432, true),
    row('validator', 'external-nats', 4222, true),
    row('validator', 'external-nats', 8222, false),
    row('validator', 'external-postgres', 5432, true),
    row('dmz-extra', 'external-nats', 4222, false),
    row('dmz-extra', 'external-postgres', 5432, false),
    row('unrelated', 'external-nats', 4222, true), // not part of the release: its own policies apply
  ])(title, (r) => check(model, r));
});

describe('network zones with gateway-api egress opened for an OIDC issuer (services.gatewayApi.egress)', () => {
  let model: ClusterModel;
  beforeAll(async () => {
    model = await zoneModel(
      {},
      [
        'services:',
        '  gatewayApi:',
        '    egress:',
        '      - to: [{ ipBlock: { cidr: 0.0.0.0/0, except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16] } }]',
        '        ports: [{ protocol: TCP, port: 443 }]',
      ].join('\n'),
    );
  }, 60_000);

  it.each([
    row('gatewayApi', 'internet', 443, true),
    row('gatewayApi', 'internet', 80, false),
    row('gatewayApi', 'private-address', 443, false),
    row('gateway', 'internet', 443, false), // opened for gateway-api only, never the edge
    row('dmz-extra', 'internet', 443, false),
    row('validator', 'internet', 443, false), // nor the rest of the app zone
    row('gatewayApi', 'postgres', 5432, true),
    row('gateway', 'postgres', 5432, false),
  ])(title, (r) => check(model, r));
});
