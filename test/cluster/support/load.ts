// A load pod outside the release (Node 24 from the gateway image, already on the node) that runs the scripts of
// fixtures/ against the edge gateway, and SQL against the bundled PostgreSQL to count what arrived.
import { NAMESPACE, RELEASE, componentPod, kubectl, secretValue } from './cluster.js';

export const LOAD_NAMESPACE = 'vigil-load';

/** One query on the bundled PostgreSQL as its superuser (over its socket), read from stdin; rows as psql -At prints. */
export async function sql(query: string): Promise<string> {
  const postgres = await componentPod('postgresql');
  const output = await kubectl(
    [
      '-n',
      postgres.namespace,
      'exec',
      '-i',
      postgres.name,
      '-c',
      'postgresql',
      '--',
      'bash',
      '-c',
      'PGPASSWORD="$POSTGRES_PASSWORD" psql -h /var/run/postgresql -U postgres -d vigil -At -v ON_ERROR_STOP=1 -f -',
    ],
    { input: query, timeoutMs: 60_000 },
  );
  return output.trim();
}

/** Starts (or keeps) a load pod of that name in the load namespace, Ready. */
export async function startLoadPod(pod: string): Promise<void> {
  const manifest = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LOAD_NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod, namespace: LOAD_NAMESPACE },
      spec: {
        automountServiceAccountToken: false,
        terminationGracePeriodSeconds: 0,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'load',
            image: 'vigil/gateway:0.1.0', // Node 24, already on the node
            imagePullPolicy: 'IfNotPresent',
            command: ['sleep', 'infinity'],
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: {} }],
      },
    },
  ];
  await kubectl(['apply', '-f', '-'], { input: manifest.map((m) => JSON.stringify(m)).join('\n---\n') });
  await kubectl(['-n', LOAD_NAMESPACE, 'wait', '--for=condition=Ready', `pod/${pod}`, '--timeout=120s'], {
    timeoutMs: 150_000,
  });
}

export async function deleteLoadPod(pod: string): Promise<void> {
  await kubectl(['-n', LOAD_NAMESPACE, 'delete', 'pod', pod, '--ignore-not-found', '--timeout=60s'], {
    timeoutMs: 90_000,
  }).catch(() => '');
}

/** Runs a fixture script in the load pod as partner-a against the edge gateway; resolves to its last line (JSON). */
export async function runLoad<T>(
  pod: string,
  script: string,
  env: Record<string, string | number>,
): Promise<T> {
  const password = await secretValue(`${RELEASE}-secrets`, 'demo-password');
  const output = await kubectl(
    [
      '-n',
      LOAD_NAMESPACE,
      'exec',
      '-i',
      pod,
      '--',
      'env',
      `GATEWAY_URL=http://${RELEASE}-gateway.${NAMESPACE}.svc:8080`,
      'USERNAME=partner-a',
      `PASSWORD=${password}`,
      ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
      'node',
      '--input-type=module-typescript',
      '-',
    ],
    { input: script, timeoutMs: 900_000 },
  );
  return JSON.parse(output.trim().split('\n').at(-1)!) as T;
}
