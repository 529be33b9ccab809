// The bundled data zone's own configuration on real servers: the nats.conf, pg_hba.conf, server arguments
// and role script that helm renders run a real nats-server and PostgreSQL with certificates from a test CA,
// and a service started with the environment the chart gives it connects to both (NATS with tls.verify,
// PostgreSQL with sslmode=verify-full and a client certificate). Without its certificate it is refused.
// Only file paths, listen addresses and the in-cluster host names are rewritten for this machine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { connect as connectTls } from 'node:tls';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from '@vigil/testing';
import { TestPki, type Party } from '../support/pki.js';
import { ROOT, renderChart, type Manifest } from './support/tools.js';

const NODE = `${ROOT}node_modules/.bin/node`;
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';
const RELEASE = 'vigil';

/** PostgreSQL's server binaries: PG_BINDIR, else pg_config's, else the newest Debian cluster version. */
function postgresBinDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(dir, 'postgres'))) return dir;
  } catch {
    // no pg_config on PATH
  }
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))
    : [];
  const dir = `/usr/lib/postgresql/${versions[0]}/bin`;
  if (!versions[0] || !existsSync(join(dir, 'postgres'))) {
    throw new Error('PostgreSQL server binaries not found: install postgresql or set PG_BINDIR');
  }
  return dir;
}

// PostgreSQL refuses to run as root; as root the test runs it as the postgres system user.
const asRoot = userInfo().uid === 0;
function postgresCommand(binary: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}
function postgresOwn(path: string): void {
  if (!asRoot) return;
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  execFileSync('chown', ['-R', `${uid}:${gid}`, path]);
}

function rendered(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`${kind}/${name} not rendered`);
  return found;
}

interface Running {
  child: ChildProcess;
  output: string[];
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const output: string[] = [];
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return { child, output };
}

async function stop(running: Running | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!running || running.child.exitCode !== null || running.child.signalCode !== null) return;
  const exited = new Promise((resolve) => running.child.once('exit', resolve));
  running.child.kill(signal);
  await exited;
}

describe('bundled NATS and PostgreSQL configuration with mTLS, on real servers', () => {
  let dir: string;
  let manifests: Manifest[];
  let client: Party;
  let nats: Running;
  let postgres: Running;
  let natsPort: number;
  let pki: TestPki;
  let natsServer: Party;
  let bin: string;
  let pgDir: string;
  let pgPort: number;
  const password = `pw${Date.now()}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-datazone-'));
    chmodSync(dir, 0o755);
    ({ manifests } = await renderChart({ release: RELEASE, namespace: 'vigil' }));
    pki = TestPki.create(join(dir, 'pki'));
    natsServer = pki.issue('nats', { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
    // named localhost only, so that 127.0.0.1 is a name it does not carry
    const pgServer = pki.issue('postgresql', { dnsNames: ['localhost'] });
    client = pki.issue('validator');

    // NATS: the rendered nats.conf, with this machine's paths and ports
    natsPort = await freePort();
    const monitorPort = await freePort();
    const natsConf = (rendered(manifests, 'ConfigMap', `${RELEASE}-nats`).data as Record<string, string>)[
      'nats.conf'
    ]!;
    mkdirSync(join(dir, 'nats-data'));
    mkdirSync(join(dir, 'nats-run'));
    const natsConfFile = join(dir, 'nats.conf');
    writeFileSync(
      natsConfFile,
      natsConf
        .replace('0.0.0.0:4222', `127.0.0.1:${natsPort}`)
        .replace('0.0.0.0:8222', `127.0.0.1:${monitorPort}`)
        .replaceAll('/etc/nats/tls', natsServer.dir)
        .replaceAll('/var/run/nats', join(dir, 'nats-run'))
        .replace('store_dir: /data', `store_dir: ${join(dir, 'nats-data')}`),
    );
    expect(natsConf).toMatch(/verify: true/);
    nats = start(NATS_SERVER, ['-c', natsConfFile], { ...process.env, SERVER_NAME: 'vigil-nats-0' });
    await waitFor(
      () =>
        fetch(`http://127.0.0.1:${monitorPort}/healthz?js-enabled-only=true`).then(
          (r) => r.ok,
          () => false,
        ),
      Boolean,
      { what: 'the rendered nats.conf to start nats-server', timeoutMs: 15_000 },
    );

    // PostgreSQL: initdb, then the rendered arguments, pg_hba.conf and role script
    bin = postgresBinDir();
    pgDir = join(dir, 'pg');
    mkdirSync(join(pgDir, 'run'), { recursive: true });
    mkdirSync(join(pgDir, 'config'));
    mkdirSync(join(pgDir, 'tls'));
    cpSync(pgServer.dir, join(pgDir, 'tls'), { recursive: true });
    const pgConfig = rendered(manifests, 'ConfigMap', `${RELEASE}-postgresql`).data as Record<string, string>;
    writeFileSync(join(pgDir, 'config', 'pg_hba.conf'), pgConfig['pg_hba.conf']!);
    writeFileSync(join(pgDir, 'superuser-password'), 'superuser-password-0001\n');
    postgresOwn(pgDir);
    chmodSync(join(pgDir, 'tls', 'tls.key'), 0o600);
    const [initdb, initdbArgs] = postgresCommand(join(bin, 'initdb'), [
      '-D',
      join(pgDir, 'data'),
      '-U',
      'postgres',
      '--pwfile',
      join(pgDir, 'superuser-password'),
      '--auth=scram-sha-256',
    ]);
    execFileSync(initdb, initdbArgs, { stdio: 'ignore' });
    const statefulSet = rendered(manifests, 'StatefulSet', `${RELEASE}-postgresql`).spec as {
      template: { spec: { containers: { args: string[] }[] } };
    };
    const args = statefulSet.template.spec.containers[0]!.args.map((arg) =>
      arg
        .replaceAll('/etc/postgresql/config', join(pgDir, 'config'))
        .replaceAll('/etc/postgresql/tls', join(pgDir, 'tls')),
    );
    expect(args).toEqual(expect.arrayContaining(['ssl=on']));
    pgPort = await freePort();
    const [server, serverArgs] = postgresCommand(join(bin, 'postgres'), [
      '-D',
      join(pgDir, 'data'),
      '-p',
      String(pgPort),
      '-k',
      join(pgDir, 'run'),
      '-c',
      'listen_addresses=127.0.0.1',
      ...args,
    ]);
    postgres = start(server, serverArgs);
    await waitFor(
      () => {
        try {
          execFileSync(join(bin, 'pg_isready'), ['-h', join(pgDir, 'run'), '-p', String(pgPort)], {
            stdio: 'ignore',
          });
          return Promise.resolve(true);
        } catch {
          return Promise.resolve(false);
        }
      },
      Boolean,
      {
        what: `PostgreSQL with the rendered arguments (${postgres.output.slice(-3).join(' | ')})`,
        timeoutMs: 30_000,
      },
    );
    // the image runs the role script with psql on the local socket, as the superuser
    execFileSync('sh', ['-c', pgConfig['10-vigil-role.sh']!], {
      env: {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        PGHOST: join(pgDir, 'run'),
        PGPORT: String(pgPort),
        PGPASSWORD: 'superuser-password-0001',
        POSTGRES_USER: 'postgres',
        VIGIL_DATABASE_USER: 'vigil',
        VIGIL_DATABASE_PASSWORD: password,
        VIGIL_DATABASE: 'vigil',
      },
      stdio: 'pipe',
    });
  }, 120_000);

  afterAll(async () => {
    await stop(nats);
    // signal the postmaster itself: runuser, its parent when the test runs as root, does not pass SIGINT on
    const pidFile = join(dir, 'pg', 'data', 'postmaster.pid');
    if (postgres && existsSync(pidFile)) {
      const exited = new Promise((resolve) => postgres.child.once('exit', resolve));
      process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT'); // fast shutdown
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The validator's environment as the chart renders it, pointed at this machine. */
  function chartEnv(clientDir: string): Record<string, string> {
    const deployment = rendered(manifests, 'Deployment', `${RELEASE}-validator`).spec as {
      template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
    };
    const env: Record<string, string> = {};
    for (const { name, value } of deployment.template.spec.containers[0]!.env) {
      if (value === undefined) continue;
      env[name] = value
        .replaceAll('/etc/vigil/tls', clientDir)
        .replace(`${RELEASE}-nats.vigil.svc:4222`, `localhost:${natsPort}`)
        .replace(`${RELEASE}-postgresql.vigil.svc:5432`, `localhost:${pgPort}`)
        .replace('$(DATABASE_PASSWORD)', password);
    }
    return env;
  }

  it('a service with the chart environment connects to both over mTLS and becomes ready', async () => {
    const metricsPort = await freePort();
    const env: Record<string, string> = {
      ...chartEnv(client.dir),
      METRICS_PORT: String(metricsPort),
      VIGIL_ENV: 'development',
    };
    expect(env.DATABASE_URL).toMatch(
      /^postgres:\/\/vigil:.+@localhost:\d+\/vigil\?sslmode=verify-full&sslrootcert=.+&sslcert=.+&sslkey=.+$/,
    );
    const service = start(NODE, [`${ROOT}services/validator/dist/main.js`], {
      ...process.env,
      ...env,
      LOG_LEVEL: 'warn',
    });
    try {
      await waitFor(
        () =>
          fetch(`http://127.0.0.1:${metricsPort}/health/ready`).then(
            (r) => r.ok,
            () => false,
          ),
        Boolean,
        {
          what: `the validator to become ready (${service.output.slice(-5).join(' | ')})`,
          timeoutMs: 60_000,
          intervalMs: 200,
        },
      );
      const db = new pg.Client({ connectionString: env.DATABASE_URL });
      await db.connect();
      try {
        const { rows } = await db.query<{ ssl: boolean; client_dn: string | null }>(
          'SELECT ssl, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
        );
        expect(rows[0]).toEqual({ ssl: true, client_dn: '/CN=validator' });
        const migrated = await db.query(
          "SELECT 1 FROM information_schema.schemata WHERE schema_name = 'validator'",
        );
        expect(migrated.rowCount).toBe(1);
      } finally {
        await db.end();
      }
    } finally {
      await stop(service);
    }
  }, 90_000);

  it('PostgreSQL refuses the right password without a client certificate, and a plain connection', async () => {
    const env = chartEnv(client.dir);
    const withoutCertificate = env.DATABASE_URL!.replace(/&sslcert=[^&]+&sslkey=[^&]+/, '');
    await expect(
      (async () => {
        const db = new pg.Client({ connectionString: withoutCertificate });
        try {
          await db.connect();
        } finally {
          await db.end().catch(() => undefined);
        }
      })(),
    ).rejects.toThrow(/certificate/i);
    const plain = env.DATABASE_URL!.replace(/\?.*$/, '?sslmode=disable');
    await expect(
      (async () => {
        const db = new pg.Client({ connectionString: plain });
        try {
          await db.connect();
        } finally {
          await db.end().catch(() => undefined);
        }
      })(),
    ).rejects.toThrow(/no pg_hba.conf entry|SSL off/i);
  });

  it('verify-full refuses a server whose certificate does not carry the host name', async () => {
    const env = chartEnv(client.dir);
    // the same server by its address, which its certificate (localhost only) does not name
    const wrongName = env.DATABASE_URL!.replace(`localhost:${pgPort}`, `127.0.0.1:${pgPort}`);
    const db = new pg.Client({ connectionString: wrongName });
    await expect(db.connect()).rejects.toThrow(/altnames|does not match/i);
    await db.end().catch(() => undefined);
  });

  /** The sidecar's script from the rendered StatefulSet, polling every second instead of every minute. */
  function reloaderScript(statefulSet: string, paths: Record<string, string>): string {
    const spec = rendered(manifests, 'StatefulSet', statefulSet).spec as {
      template: { spec: { containers: { name: string; command: string[] }[] } };
    };
    let script = spec.template.spec.containers.find((c) => c.name === 'reload-certificates')!.command[2]!;
    script = script.replace('sleep 60', 'sleep 1');
    for (const [from, to] of Object.entries(paths)) script = script.replaceAll(from, to);
    return script;
  }

  function servedSerial(read: () => string): Promise<string> {
    return Promise.resolve(/serial=([0-9A-F]+)/.exec(read())?.[1] ?? '');
  }

  it('the certificate reloaders make both servers serve a renewed certificate without a restart', async () => {
    // NATS speaks plain INFO first, then the client starts TLS
    const natsSerial = async () => {
      const socket = connectTcp(natsPort, '127.0.0.1');
      await once(socket, 'data');
      const secure = connectTls({
        socket,
        servername: 'localhost',
        ca: readFileSync(client.ca),
        cert: readFileSync(client.cert),
        key: readFileSync(client.key),
      });
      await once(secure, 'secureConnect');
      const serial = secure.getPeerCertificate().serialNumber;
      secure.destroy();
      return serial;
    };
    const pgSerial = () =>
      servedSerial(() =>
        execFileSync(
          'sh',
          [
            '-c',
            `openssl s_client -connect 127.0.0.1:${pgPort} -servername localhost -starttls postgres </dev/null 2>/dev/null | openssl x509 -noout -serial`,
          ],
          { encoding: 'utf8' },
        ),
      );
    const [natsBefore, pgBefore] = [await natsSerial(), await pgSerial()];
    expect(natsBefore).not.toBe('');
    expect(pgBefore).not.toBe('');
    const natsReloader = start(
      'sh',
      [
        '-c',
        reloaderScript(`${RELEASE}-nats`, {
          '/etc/nats/tls': natsServer.dir,
          '/var/run/nats': join(dir, 'nats-run'),
        }),
      ],
      {
        ...process.env,
        PATH: `${join(NATS_SERVER, '..')}:${process.env.PATH}`,
      },
    );
    const pgReloader = start(
      'sh',
      [
        '-c',
        reloaderScript(`${RELEASE}-postgresql`, {
          '/etc/postgresql/tls': join(pgDir, 'tls'),
          '/var/run/postgresql': join(pgDir, 'run'),
        }),
      ],
      {
        ...process.env,
        PATH: `${bin}:${process.env.PATH}`,
        PGPORT: String(pgPort),
        PGPASSWORD: 'superuser-password-0001',
      },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the reloaders take their first digest
      // cert-manager renews: new key and certificate in the same files
      const renewedNats = pki.issue('nats-renewed', { dnsNames: ['localhost'], ips: ['127.0.0.1'] });
      cpSync(renewedNats.cert, natsServer.cert);
      cpSync(renewedNats.key, natsServer.key);
      const renewedPg = pki.issue('postgresql-renewed', { dnsNames: ['localhost'] });
      cpSync(renewedPg.cert, join(pgDir, 'tls', 'tls.crt'));
      cpSync(renewedPg.key, join(pgDir, 'tls', 'tls.key'));
      postgresOwn(join(pgDir, 'tls'));
      chmodSync(join(pgDir, 'tls', 'tls.key'), 0o600);
      await waitFor(natsSerial, (serial) => serial !== '' && serial !== natsBefore, {
        what: `nats-server to serve the renewed certificate (${natsReloader.output.join(' | ')})`,
        timeoutMs: 20_000,
        intervalMs: 500,
      });
      await waitFor(pgSerial, (serial) => serial !== '' && serial !== pgBefore, {
        what: `PostgreSQL to serve the renewed certificate (${pgReloader.output.join(' | ')})`,
        timeoutMs: 20_000,
        intervalMs: 500,
      });
      expect(natsReloader.output).toContain('renewed certificate loaded');
    } finally {
      await stop(natsReloader);
      await stop(pgReloader);
    }
  }, 60_000);
});
