// The evaluator's reading of NetworkPolicy, one rule of the API per case, so the zone truth table built on
// it (network-zones.test.ts) can be trusted.
import {
  ClusterModel,
  cidrContains,
  policyTypes,
  selectorMatches,
  type NamespaceModel,
  type NetworkPolicy,
  type PodModel,
} from './support/network-policy.js';

const pod = (name: string, namespace: string, labels: Record<string, string>, ip: string): PodModel => ({
  name,
  namespace,
  labels,
  ip,
  ports: [
    { name: 'http', containerPort: 8080 },
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
  ],
});

const web = pod('web', 'shop', { app: 'web', tier: 'front' }, '10.0.0.1');
const api = pod('api', 'shop', { app: 'api', tier: 'back' }, '10.0.0.2');
const db = pod('db', 'shop', { app: 'db', tier: 'data' }, '10.0.0.3');
const probe = pod('probe', 'monitoring', { app: 'prometheus' }, '10.0.1.1');
const stranger = pod('stranger', 'other', { app: 'api', tier: 'back' }, '10.0.2.1');
const namespaces: NamespaceModel[] = [
  { name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } },
  { name: 'monitoring', labels: { 'kubernetes.io/metadata.name': 'monitoring', zone: 'ops' } },
  { name: 'other', labels: { 'kubernetes.io/metadata.name': 'other' } },
];
const internet = { external: '203.0.113.7' };

function cluster(...policies: NetworkPolicy[]): ClusterModel {
  return new ClusterModel(namespaces, [web, api, db, probe, stranger], policies);
}

function policy(name: string, spec: NetworkPolicy['spec'], namespace = 'shop'): NetworkPolicy {
  return { metadata: { name, namespace }, spec };
}

const denyAll = policy('deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

describe('NetworkPolicy evaluator', () => {
  it('allows everything while no policy selects either side', () => {
    const model = cluster();
    expect(model.allows({ pod: web }, { pod: db }, 5432).allowed).toBe(true);
    expect(model.allows(internet, { pod: web }, 8080).allowed).toBe(true);
  });

  it('isolates every selected pod in both directions under a default deny, and nothing else', () => {
    const model = cluster(denyAll);
    expect(model.allows({ pod: web }, { pod: api }, 8080).allowed).toBe(false);
    expect(model.allows(internet, { pod: web }, 8080).allowed).toBe(false);
    expect(model.allows({ pod: web }, internet, 443).allowed).toBe(false);
    // pods of other namespaces are not selected by a policy in "shop"
    expect(model.allows({ pod: stranger }, { pod: probe }, 8080).allowed).toBe(true);
  });

  it('needs both sides: an egress allow does not open an isolated ingress', () => {
    const model = cluster(
      denyAll,
      policy('web-out', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
      }),
    );
    const verdict = model.allows({ pod: web }, { pod: api }, 8080);
    expect(verdict.allowed).toBe(false);
    expect(verdict.egress).toMatch(/^allowed by web-out/);
    expect(verdict.ingress).toMatch(/^denied/);
  });

  it('adds policies up: any selecting policy that allows the flow is enough', () => {
    const model = cluster(
      policy('api-from-web', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
      }),
      policy('api-from-db', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }],
      }),
    );
    expect(model.allows({ pod: web }, { pod: api }, 8080).allowed).toBe(true);
    expect(model.allows({ pod: db }, { pod: api }, 8080).allowed).toBe(true);
    expect(model.allows({ pod: probe }, { pod: api }, 8080).allowed).toBe(false);
  });

  it('reads a podSelector peer alone as pods of the policy namespace only', () => {
    const model = cluster(
      policy('db-from-back', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'back' } } }] }],
      }),
    );
    expect(model.allows({ pod: api }, { pod: db }, 5432).allowed).toBe(true);
    expect(model.allows({ pod: stranger }, { pod: db }, 5432).allowed).toBe(false);
  });

  it('reads namespaceSelector alone as every pod there, and with podSelector as their intersection', () => {
    const nsOnly = cluster(
      policy('web-from-ops', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { zone: 'ops' } } }] }],
      }),
    );
    expect(nsOnly.allows({ pod: probe }, { pod: web }, 8080).allowed).toBe(true);
    expect(nsOnly.allows({ pod: api }, { pod: web }, 8080).allowed).toBe(false);

    const both = cluster(
      policy('web-from-other-api', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } },
                podSelector: { matchLabels: { app: 'api' } },
              },
            ],
          },
        ],
      }),
    );
    expect(both.allows({ pod: stranger }, { pod: web }, 8080).allowed).toBe(true);
    expect(both.allows({ pod: api }, { pod: web }, 8080).allowed).toBe(false); // right pod, wrong namespace
  });

  it('reads a missing or empty from as any source, the internet included', () => {
    const model = cluster(
      policy('web-open', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 8080 }] }],
      }),
      policy('api-open', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [] }] }),
    );
    expect(model.allows(internet, { pod: web }, 8080).allowed).toBe(true);
    expect(model.allows(internet, { pod: web }, 9090).allowed).toBe(false);
    expect(model.allows(internet, { pod: api }, 1234).allowed).toBe(true);
  });

  it('matches ports by number, range, name and protocol (TCP unless stated)', () => {
    const model = cluster(
      policy('api-ports', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [
          { ports: [{ port: 'http' }] },
          { ports: [{ port: 9000, endPort: 9010 }] },
          { ports: [{ protocol: 'UDP', port: 53 }] },
        ],
      }),
    );
    expect(model.allows({ pod: web }, { pod: api }, 8080).allowed).toBe(true);
    expect(model.allows({ pod: web }, { pod: api }, 'http').allowed).toBe(true);
    expect(model.allows({ pod: web }, { pod: api }, 9005).allowed).toBe(true);
    expect(model.allows({ pod: web }, { pod: api }, 9011).allowed).toBe(false);
    expect(model.allows({ pod: web }, { pod: api }, 53, 'UDP').allowed).toBe(true);
    expect(model.allows({ pod: web }, { pod: api }, 53, 'TCP').allowed).toBe(false);
    expect(model.allows({ pod: web }, { pod: api }, 8080, 'UDP').allowed).toBe(false);
  });

  it('resolves a named port in an egress rule on the destination pod', () => {
    const model = cluster(
      policy('web-out', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [{ ports: [{ port: 'http' }] }],
      }),
    );
    expect(model.allows({ pod: web }, { pod: api }, 8080).allowed).toBe(true);
    expect(model.allows({ pod: web }, { pod: api }, 8081).allowed).toBe(false);
    expect(model.allows({ pod: web }, internet, 8080).allowed).toBe(false); // no pod, no named port
  });

  it('matches ipBlock with its exceptions', () => {
    const model = cluster(
      policy('web-out', {
        podSelector: { matchLabels: { app: 'web' } },
        policyTypes: ['Egress'],
        egress: [
          { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443 }] },
        ],
      }),
    );
    expect(model.allows({ pod: web }, internet, 443).allowed).toBe(true);
    expect(model.allows({ pod: web }, { external: '10.9.8.7' }, 443).allowed).toBe(false);
    expect(model.allows({ pod: web }, { pod: probe }, 443).allowed).toBe(false); // a pod IP inside the exception
    expect(cidrContains('192.168.1.0/24', '192.168.1.200')).toBe(true);
    expect(cidrContains('192.168.1.0/24', '192.168.2.1')).toBe(false);
    expect(cidrContains('::/0', '192.168.2.1')).toBe(false);
  });

  it('defaults policyTypes like the API server', () => {
    expect(policyTypes(policy('a', { podSelector: {} }))).toEqual(['Ingress']);
    expect(policyTypes(policy('b', { podSelector: {}, egress: [] }))).toEqual(['Ingress', 'Egress']);
    // an ingress-only policy with no rules isolates ingress and leaves egress open
    const model = cluster(policy('c', { podSelector: { matchLabels: { app: 'web' } } }));
    expect(model.allows({ pod: api }, { pod: web }, 8080).allowed).toBe(false);
    expect(model.allows({ pod: web }, { pod: api }, 8080).allowed).toBe(true);
  });

  it('evaluates matchExpressions operators', () => {
    const labels = { app: 'web', tier: 'front' };
    expect(
      selectorMatches({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, labels),
    ).toBe(true);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, labels),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, labels),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(
      false,
    );
    expect(
      selectorMatches(
        { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'x', operator: 'Exists' }] },
        labels,
      ),
    ).toBe(false);
    expect(selectorMatches({}, labels)).toBe(true);
  });
});
