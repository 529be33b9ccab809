// A private nats-server per phase, the `nats` CLI (built once from the Go module proxy) and the raw baseline.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { onCleanup } from './cleanup.ts';
import { Managed, freePort, run } from './proc.ts';

const CACHE = join(homedir(), '.cache', 'vigil');
const NATSCLI_DIR = join(CACHE, 'natscli');
const NATSCLI_MODULE = 'github.com/nats-io/natscli';
// used when `@latest` cannot be resolved (the proxy may refuse the version list); newest the proxy served
const NATSCLI_PINNED = 'v0.3.0';

export interface NatsServerBinary {
  path: string;
  version: string;
}

/** NATS_SERVER_BIN, else the cached v2.15.2 build, else nats-server on PATH. */
export async function resolveNatsServer(): Promise<NatsServerBinary> {
  const cached = join(CACHE, 'nats-server-v2.15.2', 'nats-server');
  const path = process.env.NATS_SERVER_BIN || (existsSync(cached) ? cached : 'nats-server');
  const { stdout } = await run(path, ['--version']).catch((error: Error) => {
    throw new Error(`cannot run nats-server (${path}): ${error.message}; set NATS_SERVER_BIN`);
  });
  return { path, version: stdout.trim().replace(/^nats-server:\s*/, '') };
}

export class NatsServer {
  readonly url: string;
  readonly process: Managed;
  private readonly storeDir: string;

  private constructor(url: string, process: Managed, storeDir: string) {
    this.url = url;
    this.process = process;
    this.storeDir = storeDir;
  }

  /** A private JetStream server with file storage in a fresh temporary directory. */
  static async start(binary: NatsServerBinary, label: string): Promise<NatsServer> {
    const port = await freePort();
    const storeDir = mkdtempSync(join(tmpdir(), 'vigil-bench-nats-'));
    // registered before the process, so cleanup (newest first) stops the server before removing its store
    onCleanup(`remove ${storeDir}`, () => rmSync(storeDir, { recursive: true, force: true }));
    const managed = new Managed(label, binary.path, [
      '-a',
      '127.0.0.1',
      '-p',
      String(port),
      '-js',
      '-sd',
      storeDir,
    ]);
    const server = new NatsServer(`nats://127.0.0.1:${port}`, managed, storeDir);
    for (let attempt = 0; attempt < 100; attempt++) {
      if (!managed.alive) break;
      try {
        const nc = await connect({ servers: server.url, reconnect: false });
        await nc.close();
        return server;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`nats-server did not start on ${port}:\n${managed.tail.join('\n')}`);
  }

  async stop(): Promise<void> {
    await this.process.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

export interface NatsCli {
  path: string;
  version: string;
  /** How it was obtained, for the report. */
  how: string;
}

/** The `nats` CLI from the cache, else built once with Go into ~/.cache/vigil/natscli; undefined if it cannot be. */
export async function ensureNatsCli(
  log: (message: string) => void,
): Promise<{ cli?: NatsCli; why?: string }> {
  const target = join(NATSCLI_DIR, 'nats');
  const candidates = [process.env.NATS_CLI_BIN, target].filter((p): p is string => Boolean(p));
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const version = await run(path, ['--version']).then(
      (r) => r.stdout.trim() || r.stderr.trim(),
      () => undefined,
    );
    if (version) return { cli: { path, version, how: `cached at ${path}` } };
  }
  const go = ['/usr/local/go/bin/go', 'go'].find((g) => g === 'go' || existsSync(g))!;
  const env = { ...process.env, GOBIN: NATSCLI_DIR, GOFLAGS: '-buildvcs=false' };
  mkdirSync(NATSCLI_DIR, { recursive: true });
  const failures: string[] = [];
  log(
    `building the nats CLI once (go install ${NATSCLI_MODULE}/nats@latest → ${NATSCLI_DIR}); this takes about a minute…`,
  );
  try {
    await run(go, ['install', `${NATSCLI_MODULE}/nats@latest`], { env, timeoutMs: 600_000, cwd: tmpdir() });
  } catch (error) {
    failures.push(`@latest: ${firstLine(error)}`);
    // `go install m@v` still reads the module's version list (for deprecations); a proxy that refuses the list
    // fails it, while a throw-away module that requires the pinned version builds fine
    log(`  @latest failed (${firstLine(error)}); building ${NATSCLI_PINNED} through a throw-away module…`);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-natscli-'));
    try {
      writeFileSync(
        join(dir, 'go.mod'),
        `module natsclibuild\n\ngo 1.24\n\nrequire ${NATSCLI_MODULE} ${NATSCLI_PINNED}\n`,
      );
      writeFileSync(
        join(dir, 'tools.go'),
        `//go:build tools\npackage tools\n\nimport _ "${NATSCLI_MODULE}/nats"\n`,
      );
      await run(go, ['mod', 'tidy'], { env, cwd: dir, timeoutMs: 600_000 });
      await run(go, ['build', '-o', target, `${NATSCLI_MODULE}/nats`], { env, cwd: dir, timeoutMs: 600_000 });
    } catch (pinnedError) {
      failures.push(`${NATSCLI_PINNED}: ${firstLine(pinnedError)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (!existsSync(target)) return { why: `the nats CLI could not be built: ${failures.join('; ')}` };
  const version = (await run(target, ['--version'])).stdout.trim();
  return {
    cli: {
      path: target,
      version,
      how: failures.length === 0 ? 'go install @latest' : `built ${NATSCLI_PINNED} (${failures[0]})`,
    },
  };
}

const firstLine = (error: unknown): string =>
  (
    (error as Error).message.split('\n').find((l) => /go: |error|forbidden/i.test(l)) ??
    (error as Error).message
  )
    .trim()
    .slice(0, 300);

export interface BaselineRun {
  msgsPerSec: number;
  line: string;
}

/** `nats bench js pub async`: R1, file storage, 256-byte messages, into a purged stream. */
export async function natsBenchAsyncPublish(cli: NatsCli, url: string, msgs: number): Promise<BaselineRun> {
  const args = [
    '--server',
    url,
    'bench',
    'js',
    'pub',
    'async',
    'bench.raw',
    '--create',
    '--storage',
    'file',
    '--replicas',
    '1',
    '--size',
    '256',
    '--msgs',
    String(msgs),
    '--purge',
    '--no-progress',
  ];
  const { stdout, stderr } = await run(cli.path, args, { timeoutMs: 120_000 });
  const text = `${stdout}\n${stderr}`;
  const match = /publisher stats:\s*([\d,]+)\s*msgs\/sec[^\n]*/.exec(text);
  if (!match) throw new Error(`cannot find msgs/sec in nats bench output:\n${text}`);
  return { msgsPerSec: Number(match[1]!.replace(/,/g, '')), line: match[0].trim() };
}

/** The fallback when the CLI cannot be built: the same workload from nats.js, a window of 500 unacknowledged publishes. */
export async function natsJsAsyncPublish(url: string, msgs: number): Promise<BaselineRun> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams
      .add({ name: 'benchstream', subjects: ['bench.raw'], storage: 'file', num_replicas: 1 })
      .catch(async () => {
        await jsm.streams.purge('benchstream');
      });
    await jsm.streams.purge('benchstream');
    const js = jetstream(nc);
    const payload = new Uint8Array(256).fill(120);
    const window = 500;
    const started = performance.now();
    for (let sent = 0; sent < msgs; sent += window) {
      const batch: Promise<unknown>[] = [];
      for (let i = sent; i < Math.min(msgs, sent + window); i++) batch.push(js.publish('bench.raw', payload));
      await Promise.all(batch);
    }
    const seconds = (performance.now() - started) / 1000;
    const msgsPerSec = Math.round(msgs / seconds);
    return { msgsPerSec, line: `nats.js async publish loop: ${msgsPerSec} msgs/sec` };
  } finally {
    await nc.close();
  }
}
