// The chart against a real API server: helm lint, rendering with each values file, a policy check of the
// manifests, a server-side strict dry-run, and `helm install --wait` into a kwok cluster (a real control
// plane with simulated nodes) where every workload becomes available, followed by an upgrade that must keep
// every generated secret.
//
// STAND-INS, named as such: cert-manager, KEDA and the Prometheus Operator do not run here. Their CRDs come
// from fixtures/stand-in-crds.yaml (real group/version/kind, open schema), and the Secrets cert-manager would
// issue for each Certificate are created by this test from its own CA.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestPki } from '../support/pki.js';
import { KwokCluster } from './support/kwok-cluster.js';
import { policyViolations, renderedPods } from './support/policy.js';
import {
  CHART,
  VALUES,
  CommandError,
  exec,
  helmEnv,
  renderChart,
  tempDir,
  tempFile,
  tool,
  type Manifest,
} from './support/tools.js';

const NAMESPACE = 'vigil';
const RELEASE = 'vigil';
const FIXTURES = join(CHART, '../../test/k8s/fixtures');
const INSTALL_VALUES = join(FIXTURES, 'kwok-values.yaml');
const MINUTE = 60_000;

interface Listed<T> {
  items: T[];
}

interface SecretObject {
  metadata: { name: string };
  data?: Record<string, string>;
}

describe('helm lint and template', () => {
  it.each(Object.entries(VALUES))(
    'helm lint --strict passes with %s values',
    async (_name, files) => {
      const output = await exec(
        tool('helm'),
        ['lint', '--strict', CHART, '--namespace', NAMESPACE, ...files.flatMap((f) => ['--values', f])],
        { env: helmEnv() },
      );
      expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
    },
    MINUTE,
  );

  it.each(Object.entries(VALUES))(
    'the %s values render manifests that pass the policy check',
    async (_name, valuesFiles) => {
      const { manifests } = await renderChart({ valuesFiles });
      expect(renderedPods(manifests).length).toBeGreaterThanOrEqual(5);
      expect(policyViolations(manifests, NAMESPACE)).toEqual([]);
    },
    MINUTE,
  );

  it('refuses an image tagged latest', async () => {
    await expect(renderChart({ set: { 'image.tag': 'latest' } })).rejects.toThrow(
      /image.tag must name a release/,
    );
  });

  it('refuses the gateway settings that moved to gateway-api, and the removed PostgreSQL exception', async () => {
    await expect(
      renderChart({ set: { 'services.gateway.oidc.issuer': 'https://id.example.com' } }),
    ).rejects.toThrow(/services.gateway.oidc moved to services.gatewayApi.oidc/);
    await expect(renderChart({ set: { 'services.gateway.tokenTtlSeconds': '600' } })).rejects.toThrow(
      /moved to services.gatewayApi.tokenTtlSeconds/,
    );
    await expect(renderChart({ set: { 'networkPolicy.gateway.postgres': 'true' } })).rejects.toThrow(
      /networkPolicy.gateway.postgres is gone/,
    );
  });

  it('points every client at a name its server certificate carries', async () => {
    const { manifests } = await renderChart();
    const dnsNames = (name: string) =>
      (
        manifests.find((m) => m.kind === 'Certificate' && m.metadata.name === `${RELEASE}-${name}`)?.spec as {
          dnsNames: string[];
        }
      ).dnsNames;
    const env = deploymentEnv(manifests, 'validator');
    expect(dnsNames('nats')).toContain(new URL(env.NATS_URL!).hostname);
    expect(dnsNames('postgresql')).toContain(
      new URL(env.DATABASE_URL!.replace('$(DATABASE_PASSWORD)', 'x')).hostname,
    );
    expect(env.DATABASE_URL).toContain('sslmode=verify-full');
  });

  it.each(Object.entries(VALUES))(
    'with the %s values the edge gateway holds no data-store access and forwards to gateway-api',
    async (name, valuesFiles) => {
      const { manifests } = await renderChart({ release: RELEASE, namespace: NAMESPACE, valuesFiles });
      const edge = deploymentPod(manifests, 'gateway');
      const edgeEnv = deploymentEnv(manifests, 'gateway');
      expect(Object.keys(edgeEnv).sort()).toEqual(
        [
          'VIGIL_ENV',
          'LOG_LEVEL',
          'METRICS_PORT',
          'GATEWAY_PORT',
          'GATEWAY_UPSTREAM_URL',
          'OTEL_TRACES_SAMPLER_ARG',
          'SERVICE_VERSION',
          'POD_NAME',
          ...(name === 'production' ? ['OTEL_EXPORTER_OTLP_ENDPOINT'] : []), // the only one with otlpEndpoint
        ].sort(),
      );
      expect(edgeEnv.GATEWAY_UPSTREAM_URL).toBe(`http://${RELEASE}-gateway-api:8080`);
      const edgeContainer = edge.containers[0]!;
      // nothing from a Secret: the pod's own name (downward API) is its only reference
      expect(edgeContainer.env.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom])).toEqual([
        ['POD_NAME', { fieldRef: { fieldPath: 'metadata.name' } }],
      ]);
      expect((edge.volumes ?? []).filter((v) => v.secret)).toEqual([]);
      expect(edgeContainer.image).toMatch(/\/gateway:[^/]+$/);
      expect(edgeContainer.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'metrics' });
      expect(edgeContainer.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'metrics' });
      expect(
        manifests.some((m) => m.kind === 'Certificate' && m.metadata.name === `${RELEASE}-gateway`),
      ).toBe(false);

      const api = deploymentPod(manifests, 'gateway-api');
      const apiEnv = deploymentEnv(manifests, 'gateway-api');
      expect(api.containers[0]!.image).toBe(edgeContainer.image);
      expect(apiEnv).toMatchObject({
        GATEWAY_PORT: '8080',
        METRICS_PORT: '9105',
        GATEWAY_TRUST_PROXY_HOPS: '1',
        TOKEN_TTL_SECONDS: '3600',
        REFRESH_TOKEN_TTL_SECONDS: '1209600',
        SIGNING_KEY_MAX_AGE_SECONDS: '2592000',
      });
      for (const name of ['NATS_URL', 'DATABASE_URL', 'DATABASE_PASSWORD', 'JWT_SECRET']) {
        expect(Object.keys(apiEnv)).toContain(name);
      }
      expect('DEMO_PASSWORD' in apiEnv).toBe(name === 'minimal'); // development mode only
      const apiService = manifests.find(
        (m) => m.kind === 'Service' && m.metadata.name === `${RELEASE}-gateway-api`,
      )?.spec as { type: string; ports: { name: string; port: number }[] };
      expect(apiService.type).toBe('ClusterIP');
      expect(apiService.ports.map((p) => [p.name, p.port])).toEqual([
        ['http', 8080],
        ['metrics', 9105],
      ]);
    },
    MINUTE,
  );
});

describe('observability in the chart', () => {
  const SERVICES = ['gateway', 'gateway-api', 'ingest', 'validator', 'scorer', 'alerting'];

  it(
    "sends every service's traces to the OTLP endpoint when one is set, with its sampling ratio, version and pod, and lets them through the network policies",
    async () => {
      const endpoint = 'http://otel-collector.observability:4318';
      const { manifests } = await renderChart({
        release: RELEASE,
        namespace: NAMESPACE,
        set: { otlpEndpoint: endpoint, traceSampleRatio: '0.25' },
      });
      for (const component of SERVICES) {
        const env = deploymentEnv(manifests, component);
        expect({ component, ...env }).toMatchObject({
          component,
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_TRACES_SAMPLER_ARG: '0.25',
          SERVICE_VERSION: expect.stringMatching(/\S/),
        });
      }
      const egressPorts = manifests
        .filter((m) => m.kind === 'NetworkPolicy')
        .flatMap((m) => (m.spec as { egress?: { ports?: { port: number }[] }[] }).egress ?? [])
        .flatMap((rule) => rule.ports ?? [])
        .map((port) => port.port);
      expect(egressPorts).toContain(4318);

      const { manifests: off } = await renderChart({ release: RELEASE, namespace: NAMESPACE });
      for (const component of SERVICES)
        expect('OTEL_EXPORTER_OTLP_ENDPOINT' in deploymentEnv(off, component)).toBe(false);
    },
    MINUTE,
  );

  it(
    'ships the five Grafana dashboards as ConfigMaps for the sidecar, each holding its JSON file',
    async () => {
      const { manifests } = await renderChart({ release: RELEASE, namespace: NAMESPACE });
      const dashboards = manifests.filter(
        (m) => m.kind === 'ConfigMap' && (m.metadata.labels ?? {})['grafana_dashboard'] === '1',
      );
      const files = dashboards.flatMap((m) =>
        Object.keys((m as { data?: Record<string, string> }).data ?? {}),
      );
      expect(files.sort()).toEqual(
        [
          'alerting.json',
          'data-quality.json',
          'fraud.json',
          'pipeline-overview.json',
          'service-red.json',
        ].sort(),
      );
      for (const map of dashboards)
        for (const [file, text] of Object.entries((map as { data?: Record<string, string> }).data ?? {}))
          expect(JSON.parse(text)).toEqual(
            JSON.parse(readFileSync(join(CHART, 'files/dashboards', file), 'utf8')),
          );
    },
    MINUTE,
  );

  it(
    'renders the PrometheusRule from the rules file only where the cluster serves the kind',
    async () => {
      const rule = (manifests: Manifest[]) => manifests.find((m) => m.kind === 'PrometheusRule');
      const { manifests: without } = await renderChart({ release: RELEASE, namespace: NAMESPACE });
      expect(rule(without)).toBeUndefined();
      const { manifests } = await renderChart({
        release: RELEASE,
        namespace: NAMESPACE,
        apiVersions: ['monitoring.coreos.com/v1/PrometheusRule'],
      });
      const groups = (rule(manifests)?.spec as { groups: { name: string; rules: { alert?: string }[] }[] })
        .groups;
      expect(groups.map((g) => g.name)).toEqual([
        'vigil-slo-recording',
        'vigil-slo-burn-rate',
        'vigil-pipeline',
      ]);
      expect(groups.flatMap((g) => g.rules.map((r) => r.alert)).filter(Boolean)).toEqual(
        expect.arrayContaining([
          'VigilIngestErrorBudgetFastBurn',
          'VigilIngestLatencyBudgetFastBurn',
          'VigilConsumerLagHigh',
          'VigilQuarantineSpike',
          'VigilPartitionStalled',
        ]),
      );
    },
    MINUTE,
  );
});

interface PodTemplateSpec {
  containers: {
    image: string;
    env: { name: string; value?: string; valueFrom?: unknown }[];
    livenessProbe?: { httpGet?: unknown };
    readinessProbe?: { httpGet?: unknown };
  }[];
  volumes?: { name: string; secret?: unknown }[];
}

function deploymentPod(manifests: Manifest[], component: string): PodTemplateSpec {
  const deployment = manifests.find(
    (m) => m.kind === 'Deployment' && m.metadata.name === `${RELEASE}-${component}`,
  );
  if (!deployment) throw new Error(`no Deployment ${RELEASE}-${component} rendered`);
  return (deployment.spec as { template: { spec: PodTemplateSpec } }).template.spec;
}

function deploymentEnv(manifests: Manifest[], component: string): Record<string, string | undefined> {
  const container = deploymentPod(manifests, component).containers[0]!;
  return Object.fromEntries(container.env.map((e) => [e.name, e.value]));
}

describe('the chart in a kwok cluster', () => {
  let cluster: KwokCluster;

  beforeAll(async () => {
    cluster = await KwokCluster.create(3);
    await cluster.kubectl(['apply', '-f', join(FIXTURES, 'stand-in-crds.yaml')]);
    await cluster.kubectl([
      'wait',
      '--for=condition=Established',
      'crd',
      '-l',
      'vigil.io/test-fixture=stand-in-crd',
    ]);
    // The namespace enforces the restricted Pod Security Standard: the API server refuses pods that break it.
    await cluster.apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: NAMESPACE,
          labels: {
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/audit': 'restricted',
          },
        },
      }),
    );
    // Statically provisioned volumes for the NATS and PostgreSQL claims (no provisioner runs in kwok).
    await cluster.apply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'storage.k8s.io/v1',
            kind: 'StorageClass',
            metadata: { name: 'vigil-test-manual' },
            provisioner: 'kubernetes.io/no-provisioner',
            volumeBindingMode: 'Immediate',
          },
          ...['nats', 'postgresql'].map((name) => ({
            apiVersion: 'v1',
            kind: 'PersistentVolume',
            metadata: { name: `vigil-test-${name}` },
            spec: {
              capacity: { storage: '1Gi' },
              accessModes: ['ReadWriteOnce'],
              storageClassName: 'vigil-test-manual',
              hostPath: { path: `/var/lib/vigil-test/${name}` },
            },
          })),
        ],
      }),
    );
  }, 5 * MINUTE);

  afterAll(async () => {
    await cluster?.delete();
  }, MINUTE);

  it.each(Object.entries(VALUES))(
    'the %s manifests pass a server-side strict dry-run without Pod Security warnings',
    async (_name, valuesFiles) => {
      const { yaml } = await renderChart({ release: RELEASE, namespace: NAMESPACE, valuesFiles });
      const result = serverDryRun(cluster, tempFile('rendered.yaml', yaml));
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/deployment\.apps\/vigil-gateway created \(server dry run\)/);
      expect(result.stdout).toMatch(/deployment\.apps\/vigil-gateway-api created \(server dry run\)/);
      // admission warnings (Pod Security among them) go to stderr
      expect(result.stderr).not.toMatch(/violate PodSecurity|Warning/);
    },
    2 * MINUTE,
  );

  it(
    'helm install --wait: every Deployment and StatefulSet becomes available, and every kind is accepted',
    async () => {
      await cluster.helm(
        ['install', RELEASE, CHART, '-n', NAMESPACE, '--values', INSTALL_VALUES, '--wait', '--timeout', '5m'],
        { timeoutMs: 6 * MINUTE },
      );
      await cluster.kubectl([
        '-n',
        NAMESPACE,
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '--timeout=120s',
      ]);
      // validator and scorer start at one replica; their HPA raises them to minReplicas
      const deployments = await waitForDeployments(cluster, (d) => (d.status.availableReplicas ?? 0) >= 2);
      expect(deployments.map((d) => d.metadata.name).sort()).toEqual(
        ['alerting', 'gateway', 'gateway-api', 'ingest', 'operator', 'scorer', 'validator'].map(
          (s) => `${RELEASE}-${s}`,
        ),
      );
      const statefulSets = await cluster.kubectlJson<Listed<{ status: { readyReplicas?: number } }>>([
        '-n',
        NAMESPACE,
        'get',
        'statefulsets',
      ]);
      expect(statefulSets.items.map((s) => s.status.readyReplicas)).toEqual([1, 1]);
      const claims = await cluster.kubectlJson<Listed<{ status: { phase: string } }>>([
        '-n',
        NAMESPACE,
        'get',
        'pvc',
      ]);
      expect(claims.items.map((c) => c.status.phase)).toEqual(['Bound', 'Bound']);

      const count = async (resource: string) =>
        (await cluster.kubectlJson<Listed<unknown>>(['-n', NAMESPACE, 'get', resource])).items.length;
      expect(await count('horizontalpodautoscalers.autoscaling')).toBe(2);
      const policies = await cluster.kubectlJson<Listed<{ metadata: { name: string } }>>([
        '-n',
        NAMESPACE,
        'get',
        'networkpolicies.networking.k8s.io',
      ]);
      expect(policies.items.map((p) => p.metadata.name.replace(`${RELEASE}-`, '')).sort()).toEqual([
        'app',
        'app-alerting-webhooks',
        'app-gateway-api',
        'app-operator-api-server',
        'data-nats',
        'data-postgresql',
        'default-deny',
        'dmz-gateway',
        'dns',
      ]);
      expect(await count('poddisruptionbudgets.policy')).toBe(6);
      // gateway-api, ingest, validator, scorer, alerting, the operator, NATS, PostgreSQL and the CA; the
      // edge gateway is no NATS or PostgreSQL client and has none
      expect(await count('certificates.cert-manager.io')).toBe(9);
      expect(await count('issuers.cert-manager.io')).toBe(2);
      expect(await count('servicemonitors.monitoring.coreos.com')).toBe(6);
      expect(await count('ingresses.networking.k8s.io')).toBe(1);
    },
    8 * MINUTE,
  );

  it(
    'every Secret a pod mounts or reads exists once cert-manager (stand-in) has issued the Certificates',
    async () => {
      await issueCertificatesAsStandIn(cluster);
      const secrets = new Set(
        (await cluster.kubectlJson<Listed<SecretObject>>(['-n', NAMESPACE, 'get', 'secrets'])).items.map(
          (s) => s.metadata.name,
        ),
      );
      const pods = await cluster.kubectlJson<
        Listed<{
          metadata: { name: string };
          spec: {
            volumes?: { secret?: { secretName: string } }[];
            containers: { env?: { valueFrom?: { secretKeyRef?: { name: string } } }[] }[];
          };
        }>
      >(['-n', NAMESPACE, 'get', 'pods']);
      const referenced = pods.items.flatMap((pod) => [
        ...(pod.spec.volumes ?? []).flatMap((v) => (v.secret ? [v.secret.secretName] : [])),
        ...pod.spec.containers.flatMap((c) =>
          (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
        ),
      ]);
      expect(referenced.length).toBeGreaterThan(20);
      expect([...new Set(referenced)].filter((name) => !secrets.has(name))).toEqual([]);
    },
    2 * MINUTE,
  );

  it("gives the operator's ServiceAccount what the operator does, and nothing else", async () => {
    const account = `system:serviceaccount:${NAMESPACE}:${RELEASE}-operator`;
    const canI = (...args: string[]) =>
      cluster.kubectl(['auth', 'can-i', '--as', account, '-n', NAMESPACE, ...args]).then(
        (out) => out.trim(),
        (error: CommandError) => error.stdout.trim(),
      );
    const allowed = [
      ['watch', 'validationrulesets.vigil.dev'],
      ['update', 'scoringpolicies.vigil.dev/fraud'],
      ['update', 'alertpolicies.vigil.dev', '--subresource=status'],
      ['update', 'peakschedules.vigil.dev/lagos', '--subresource=status'],
      ['update', `horizontalpodautoscalers.autoscaling/${RELEASE}-validator`],
      ['get', `horizontalpodautoscalers.autoscaling/${RELEASE}-scorer`],
      ['create', 'leases.coordination.k8s.io'],
      ['update', `leases.coordination.k8s.io/${RELEASE}-operator`],
    ];
    const denied = [
      ['delete', 'validationrulesets.vigil.dev/payments'],
      ['create', 'validationrulesets.vigil.dev'],
      ['update', `horizontalpodautoscalers.autoscaling/${RELEASE}-alerting`],
      ['update', `leases.coordination.k8s.io/another-lease`],
      ['get', `secrets/${RELEASE}-secrets`],
      ['list', 'secrets'],
      ['get', 'pods'],
      ['update', 'deployments.apps'],
      ['get', 'validationrulesets.vigil.dev', '-n', 'kube-system'],
    ];
    expect(await Promise.all(allowed.map((args) => canI(...args)))).toEqual(allowed.map(() => 'yes'));
    expect(await Promise.all(denied.map((args) => canI(...args)))).toEqual(denied.map(() => 'no'));
  });

  it(
    'helm upgrade to KEDA keeps every generated secret and replaces the HPAs with ScaledObjects',
    async () => {
      const before = await generatedSecrets(cluster);
      expect(Object.keys(before).sort()).toEqual([`${RELEASE}-postgresql`, `${RELEASE}-secrets`]);
      expect(Buffer.from(before[`${RELEASE}-secrets`]!['jwt-secret']!, 'base64').toString()).toHaveLength(64);
      await cluster.helm(
        [
          'upgrade',
          RELEASE,
          CHART,
          '-n',
          NAMESPACE,
          '--values',
          INSTALL_VALUES,
          '--set',
          'keda.enabled=true',
          '--wait',
          '--timeout',
          '5m',
        ],
        { timeoutMs: 6 * MINUTE },
      );
      expect(await generatedSecrets(cluster)).toEqual(before);
      const scaledObjects = await cluster.kubectlJson<
        Listed<{
          metadata: { name: string };
          spec: { triggers: { type: string; metadata: Record<string, string> }[] };
        }>
      >(['-n', NAMESPACE, 'get', 'scaledobjects.keda.sh']);
      expect(scaledObjects.items.map((s) => s.metadata.name).sort()).toEqual([
        `${RELEASE}-scorer`,
        `${RELEASE}-validator`,
      ]);
      const validatorLag = scaledObjects.items
        .find((s) => s.metadata.name === `${RELEASE}-validator`)!
        .spec.triggers.find((t) => t.type === 'nats-jetstream')!.metadata;
      expect(validatorLag).toMatchObject({ stream: 'TRANSACTIONS', consumer: 'validator' });
      const hpas = await cluster.kubectlJson<Listed<unknown>>([
        '-n',
        NAMESPACE,
        'get',
        'horizontalpodautoscalers.autoscaling',
      ]);
      expect(hpas.items).toHaveLength(0);
      await cluster.kubectl([
        '-n',
        NAMESPACE,
        'wait',
        '--for=condition=Available',
        'deployment',
        '--all',
        '--timeout=120s',
      ]);
    },
    8 * MINUTE,
  );

  it(
    'helm uninstall leaves the generated secrets, and a reinstall reuses them',
    async () => {
      const before = await generatedSecrets(cluster);
      await cluster.helm(['uninstall', RELEASE, '-n', NAMESPACE, '--wait', '--timeout', '2m'], {
        timeoutMs: 3 * MINUTE,
      });
      expect(await generatedSecrets(cluster)).toEqual(before);
      await cluster.helm(
        ['install', RELEASE, CHART, '-n', NAMESPACE, '--values', INSTALL_VALUES, '--wait', '--timeout', '5m'],
        {
          timeoutMs: 6 * MINUTE,
        },
      );
      expect(await generatedSecrets(cluster)).toEqual(before);
    },
    10 * MINUTE,
  );
});

interface DeploymentObject {
  metadata: { name: string };
  status: { availableReplicas?: number };
}

async function waitForDeployments(
  cluster: KwokCluster,
  done: (deployment: DeploymentObject) => boolean,
): Promise<DeploymentObject[]> {
  const deadline = Date.now() + 2 * MINUTE;
  for (;;) {
    const { items } = await cluster.kubectlJson<Listed<DeploymentObject>>([
      '-n',
      NAMESPACE,
      'get',
      'deployments',
    ]);
    if (items.length > 0 && items.every(done)) return items;
    if (Date.now() > deadline) {
      throw new Error(
        `deployments not there in time: ${JSON.stringify(items.map((d) => [d.metadata.name, d.status]))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function serverDryRun(
  cluster: KwokCluster,
  file: string,
): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(
    tool('kubectl'),
    [
      '--kubeconfig',
      cluster.kubeconfig,
      'apply',
      '--dry-run=server',
      '--validate=strict',
      '-n',
      NAMESPACE,
      '-f',
      file,
    ],
    { encoding: 'utf8', env: { ...process.env, NO_PROXY: '127.0.0.1,localhost' } },
  );
}

async function generatedSecrets(cluster: KwokCluster): Promise<Record<string, Record<string, string>>> {
  const list = await cluster.kubectlJson<Listed<SecretObject>>(['-n', NAMESPACE, 'get', 'secrets']);
  return Object.fromEntries(
    list.items
      .filter((s) => s.metadata.name === `${RELEASE}-secrets` || s.metadata.name === `${RELEASE}-postgresql`)
      .map((s) => [s.metadata.name, s.data ?? {}]),
  );
}

/** STAND-IN for cert-manager: a Secret per Certificate, signed by a test CA for the names it asks for. */
async function issueCertificatesAsStandIn(cluster: KwokCluster): Promise<void> {
  const certificates = await cluster.kubectlJson<
    Listed<{ spec: { secretName: string; commonName: string; dnsNames?: string[] } }>
  >(['-n', NAMESPACE, 'get', 'certificates.cert-manager.io']);
  const pki = TestPki.create(tempDir('standin-ca-'));
  const secrets = certificates.items.map(({ spec }) => {
    const party = pki.issue(spec.secretName, { dnsNames: spec.dnsNames ?? [spec.commonName] });
    const read = (path: string) => readFileSync(path).toString('base64');
    return {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: spec.secretName,
        namespace: NAMESPACE,
        labels: { 'vigil.io/test-fixture': 'stand-in-issuance' },
      },
      data: { 'tls.crt': read(party.cert), 'tls.key': read(party.key), 'ca.crt': read(party.ca) },
    };
  });
  await cluster.apply(JSON.stringify({ apiVersion: 'v1', kind: 'List', items: secrets }));
}
