// mTLS is required by the bundled NATS and PostgreSQL: from a pod the network zones allow to reach both (the
// validator), a client presenting the pod's certificate gets in, and the same client without one is refused.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NAMESPACE, RELEASE, componentPod, kubectl } from './support/cluster.js';

const probe = (name: string) =>
  readFileSync(fileURLToPath(new URL(`fixtures/${name}`, import.meta.url)), 'utf8');

async function runInValidator(
  script: string,
  env: Record<string, string> = {},
): Promise<Record<string, string>> {
  const pod = await componentPod('validator');
  const output = await kubectl(
    [
      '-n',
      NAMESPACE,
      'exec',
      '-i',
      pod.name,
      '--',
      'env',
      ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
      'node',
      '--input-type=module-typescript',
      '-',
    ],
    { input: script, timeoutMs: 60_000 },
  );
  return JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, string>;
}

describe('mTLS on the kind cluster', () => {
  it('NATS answers a client with the release certificate and refuses one without a certificate', async () => {
    const result = await runInValidator(probe('nats-tls-probe.ts'), {
      PROBE_HOST: `${RELEASE}-nats`,
      PROBE_PORT: '4222',
      PROBE_TLS_DIR: '/etc/vigil/tls',
    });
    console.log(`NATS: ${JSON.stringify(result)}`);
    expect(result.withCertificate).toBe('PONG');
    expect(result.withoutCertificate).not.toBe('PONG');
    expect(result.withoutCertificate).toMatch(/certificate|closed|error/i);
  }, 90_000);

  it('PostgreSQL accepts the release certificate and refuses a client without one, and any client without TLS', async () => {
    const result = await runInValidator(probe('postgres-tls-probe.ts'));
    console.log(`PostgreSQL: ${JSON.stringify(result)}`);
    expect(result.withCertificate).toMatch(/^connected as vigil, ssl true$/);
    expect(result.withoutCertificate).toMatch(/^error: .*certificate/i);
    expect(result.withoutTls).toMatch(/^error: .*(no encryption|pg_hba\.conf)/i);
  }, 90_000);
});
