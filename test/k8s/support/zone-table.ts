// The network zones as a connectivity truth table: which pod of which zone may open which port of which other,
// under the chart's default values. test/k8s/network-zones.test.ts checks it against the rendered NetworkPolicies
// with an evaluator; test/cluster/network-zones.test.ts repeats it with real connections between real pods.
import type { Endpoint, NamespaceModel, PodModel, Protocol } from './network-policy.js';

export const NAMESPACE = 'vigil';
export const INTERNET: Endpoint = { external: '203.0.113.10' };
export const PRIVATE_ADDRESS: Endpoint = { external: '10.1.2.3' };

export const outsidePods: PodModel[] = [
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

export const namespaces: NamespaceModel[] = [
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

export const RELEASE_PODS = {
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
export type OutsidePod =
  | 'coredns'
  | 'prometheus'
  | 'keda-operator'
  | 'importer'
  | 'unrelated'
  | 'dmz-extra'
  | 'ingress-controller'
  | 'external-nats'
  | 'external-postgres';
export type Name = keyof typeof RELEASE_PODS | 'internet' | 'private-address' | OutsidePod;

export interface Row {
  from: Name;
  to: Name;
  port: number;
  protocol?: Protocol;
  allowed: boolean;
}

export const row = (
  from: Name,
  to: Name,
  port: number,
  allowed: boolean,
  protocol: Protocol = 'TCP',
): Row => ({
  from,
  to,
  port,
  allowed,
  protocol,
});

// Default values: production mode, bundled NATS and PostgreSQL, KEDA off.
export const defaultTable: Row[] = [
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
