// The `helm test` pod's script, taken from the rendered chart, run against the real suite (private NATS, a
// fresh database, all five services) with the environment the test pod gives it. kwok cannot run the pod's
// container, so this is where the script itself is proven.
import { spawn } from 'node:child_process';
import { DEMO_PASSWORD, Suite } from '../support/suite.js';
import { ROOT, renderChart, tempFile, type Manifest } from './support/tools.js';

const NODE = `${ROOT}node_modules/.bin/node`;

interface TestPod {
  spec: {
    containers: { command: string[]; env: { name: string; value?: string; valueFrom?: unknown }[] }[];
  };
}

function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [script], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('helm test: one transaction through the gateway', () => {
  let suite: Suite;
  let script: string;
  let pod: Manifest & TestPod;

  beforeAll(async () => {
    const { manifests } = await renderChart({ set: { environment: 'development' } });
    const configMap = manifests.find(
      (m) => m.kind === 'ConfigMap' && m.metadata.annotations?.['helm.sh/hook'] === 'test',
    ) as Manifest & { data: Record<string, string> };
    pod = manifests.find(
      (m) => m.kind === 'Pod' && m.metadata.annotations?.['helm.sh/hook'] === 'test',
    ) as Manifest & TestPod;
    script = tempFile('transaction-test.mjs', configMap.data['transaction-test.mjs']!);
    suite = await Suite.start();
  }, 120_000);

  afterAll(async () => {
    await suite?.stop();
  });

  it('the test pod runs the script with the settings it reads', () => {
    const container = pod.spec.containers[0]!;
    expect(container.command).toEqual(['node', '/test/transaction-test.mjs']);
    expect(container.env.map((e) => e.name).sort()).toEqual([
      'GATEWAY_URL',
      'TEST_PASSWORD',
      'TEST_TIMEOUT_SECONDS',
      'TEST_USERNAME',
    ]);
    expect(container.env.find((e) => e.name === 'TEST_USERNAME')?.value).toBe('partner-a');
  });

  it('signs in as a partner, submits a transaction and sees it scored', async () => {
    const { code, output } = await runScript(script, {
      GATEWAY_URL: suite.gatewayUrl,
      TEST_USERNAME: 'partner-a',
      TEST_PASSWORD: DEMO_PASSWORD,
      TEST_TIMEOUT_SECONDS: '60',
    });
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(output).toMatch(/signed in as partner-a/);
    expect(output).toMatch(/scored helm-test-[a-z0-9-]+: score [0-9.]+/);
  }, 90_000);

  it('fails at once with a clear message when the password is wrong', async () => {
    const started = Date.now();
    const { code, output } = await runScript(script, {
      GATEWAY_URL: suite.gatewayUrl,
      TEST_USERNAME: 'partner-a',
      TEST_PASSWORD: 'not-the-password',
      TEST_TIMEOUT_SECONDS: '60',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/sign-in refused: 401/);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
