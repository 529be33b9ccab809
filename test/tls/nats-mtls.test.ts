// mTLS to NATS as the chart sets it up: a real nats-server requiring client certificates (tls.verify), and
// the built validator pointed at it through NATS_TLS_* files. With its certificate it becomes ready; without
// one, or with one from another CA, the server refuses it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { TestDatabase, freePort, waitFor } from '@vigil/testing';
import { TestPki, type Party } from '../support/pki.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';

interface Started {
  child: ChildProcess;
  output: string[];
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Started {
  const output: string[] = [];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, output };
}

async function stop({ child }: Started): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe('NATS mTLS (tls.verify) with the services reading mounted certificates', () => {
  let dir: string;
  let pki: TestPki;
  let server: Party;
  let validator: Party;
  let nats: Started;
  let natsUrl: string;
  let monitorPort: number;
  let db: TestDatabase;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-mtls-'));
    pki = TestPki.create(join(dir, 'pki'));
    server = pki.issue('nats', { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    validator = pki.issue('validator');
    const port = await freePort();
    monitorPort = await freePort();
    natsUrl = `tls://localhost:${port}`;
    const config = join(dir, 'nats.conf');
    writeFileSync(
      config,
      `listen: 127.0.0.1:${port}
http: 127.0.0.1:${monitorPort}
jetstream { store_dir: "${join(dir, 'js')}" }
tls {
  cert_file: "${server.cert}"
  key_file: "${server.key}"
  ca_file: "${server.ca}"
  verify: true
  timeout: 3
}
`,
    );
    nats = run(NATS_SERVER, ['-c', config]);
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${monitorPort}/healthz`).then(
          (r) => r.ok,
          () => false,
        ),
      Boolean,
      {
        what: `nats-server with TLS to start (${nats.output.join(' | ')})`,
        timeoutMs: 15_000,
        intervalMs: 100,
      },
    );
    db = await TestDatabase.create();
  });

  afterAll(async () => {
    if (nats) await stop(nats);
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  function startValidator(tls: Record<string, string>, metricsPort: number): Started {
    return run(NODE, [`${ROOT}services/validator/dist/main.js`], {
      ...process.env,
      NATS_URL: natsUrl,
      DATABASE_URL: db.url,
      VIGIL_ENV: 'development',
      LOG_LEVEL: 'warn',
      METRICS_PORT: String(metricsPort),
      ...tls,
    });
  }

  const ready = (port: number) =>
    fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );

  it('a service with its certificate connects and becomes ready; the server sees a verified TLS client', async () => {
    const metricsPort = await freePort();
    const service = startValidator(
      {
        NATS_TLS_CA_FILE: validator.ca,
        NATS_TLS_CERT_FILE: validator.cert,
        NATS_TLS_KEY_FILE: validator.key,
      },
      metricsPort,
    );
    try {
      await waitFor(() => ready(metricsPort), Boolean, {
        what: `the validator to become ready over mTLS (${service.output.slice(-5).join(' | ')})`,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
      const connz = (await (await fetch(`http://127.0.0.1:${monitorPort}/connz`)).json()) as {
        connections: { name?: string; tls_version?: string }[];
      };
      const connection = connz.connections.find((c) => c.name === 'validator');
      expect(connection?.tls_version).toMatch(/^1\.[23]$/);
    } finally {
      await stop(service);
    }
  });

  it('a service without a client certificate is refused and never becomes ready', async () => {
    const metricsPort = await freePort();
    const service = startValidator({ NATS_TLS_CA_FILE: validator.ca }, metricsPort);
    try {
      // however long the process takes to start, the server refuses its handshake for want of a certificate
      await waitFor(
        () => Promise.resolve(nats.output.join('\n')),
        (log) => /TLS handshake error.*certificate/i.test(log),
        { what: 'the server to refuse the handshake', timeoutMs: 30_000, intervalMs: 200 },
      );
      await sleep(1_000);
      expect(service.child.exitCode).toBeNull(); // still trying to connect: back-pressure, not a crash
      expect(await ready(metricsPort)).toBe(false);
    } finally {
      await stop(service);
    }
  });

  it('the server refuses a client certificate from another CA and a plain connection', async () => {
    const rogue = TestPki.create(join(dir, 'rogue'), 'rogue-ca').issue('validator');
    await expect(
      connect({
        servers: natsUrl,
        reconnect: false,
        tls: { caFile: server.ca, certFile: rogue.cert, keyFile: rogue.key },
      }),
    ).rejects.toThrow();
    await expect(
      connect({ servers: natsUrl.replace('tls://', 'nats://'), reconnect: false, tls: null }),
    ).rejects.toThrow();
    const trusted = await connect({
      servers: natsUrl,
      reconnect: false,
      tls: { caFile: validator.ca, certFile: validator.cert, keyFile: validator.key },
    });
    await trusted.close();
  });
});
