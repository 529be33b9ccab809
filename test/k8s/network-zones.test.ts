// The network zones as a connectivity truth table over the NetworkPolicies helm renders. No CNI runs here,
// so test/k8s/support/network-policy.ts evaluates them (its semantics are tested in network-policy.spec.ts)
// for the release's pods plus the cluster around them: DNS, an observability namespace, KEDA, the internet.
import { ClusterModel, type Endpoint } from './support/network-policy.js';
import { networkPolicies, podModels, renderedPods } from './support/policy.js';
import { VALUES, renderChart, tempFile } from './support/tools.js';
import {
  INTERNET,
  NAMESPACE,
  PRIVATE_ADDRESS,
  RELEASE_PODS,
  defaultTable,
  namespaces,
  outsidePods,
  row,
  type Name,
  type Row,
} from './support/zone-table.js';

function endpoint(model: ClusterModel, name: Name): Endpoint {
  if (name === 'internet') return INTERNET;
  if (name === 'private-address') return PRIVATE_ADDRESS;
  const owner = RELEASE_PODS[name as keyof typeof RELEASE_PODS];
  const pod = model.pods.find((p) => p.name === (owner ?? name));
  if (!pod) throw new Error(`no pod ${name} rendered`);
  return { pod };
}

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
