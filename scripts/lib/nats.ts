// NATS for the dev runner: the server at NATS_URL when it answers, else a private nats-server with JetStream.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import { canConnect, hostAndPort, preferredOrFreePort, waitForPort } from './ports.ts';
import type { ManagedProcess, Supervisor } from './supervisor.ts';

export interface NatsEndpoint {
  url: string;
  /** The nats-server this runner started, to stop at the end; absent when an existing server is used. */
  server?: ManagedProcess;
}

export interface EnsureNatsOptions {
  url: string;
  /** Folder under which the JetStream store and the server log are kept. */
  stateDir: string;
  supervisor: Supervisor;
  log: (message: string, level?: 'info' | 'warn' | 'error') => void;
}

export const INSTALL_NATS_HINT = [
  'nats-server was not found on PATH (nor in /usr/sbin, /usr/local/sbin). Install it with one of:',
  '  Debian/Ubuntu:  sudo apt-get install nats-server',
  '  macOS:          brew install nats-server',
  '  Go:             go install github.com/nats-io/nats-server/v2@latest',
  '  or a release:   https://github.com/nats-io/nats-server/releases',
  'or set NATS_SERVER_BIN to its path, or NATS_URL to a running server with JetStream (-js).',
].join('\n');

export async function ensureNats(options: EnsureNatsOptions): Promise<NatsEndpoint> {
  const { host, port } = hostAndPort(options.url, 4222);
  if (await canConnect(host, port)) {
    const info = await readServerInfo(host, port);
    if (!info.jetstream) {
      throw new Error(
        `the NATS server at ${options.url} runs without JetStream; restart it with -js, or point NATS_URL elsewhere`,
      );
    }
    options.log(`using NATS at ${options.url} (nats-server ${info.version ?? '?'}, JetStream on)`);
    return { url: options.url };
  }

  const binary = findNatsServer();
  if (!binary) throw new Error(INSTALL_NATS_HINT);
  const storeDir = join(options.stateDir, 'nats');
  mkdirSync(storeDir, { recursive: true });
  const logFile = join(options.stateDir, 'nats-server.log');
  const ownPort = await preferredOrFreePort(4222);
  options.log(
    `no NATS answers at ${options.url}; starting ${binary} on 127.0.0.1:${ownPort} (JetStream store ${storeDir}, log ${logFile})`,
  );
  const server = options.supervisor.start('nats', {
    command: binary,
    args: ['-a', '127.0.0.1', '-p', String(ownPort), '-js', '-sd', storeDir],
    outputFile: logFile,
    stopSignal: 'SIGINT', // exits 0 after a clean JetStream shutdown (SIGTERM exits 1)
  });
  const up = await waitForPort('127.0.0.1', ownPort, {
    timeoutMs: 20_000,
    stillStarting: () => server.running,
  });
  if (!up) {
    await server.stop({ timeoutMs: 2_000 });
    throw new Error(`nats-server did not start on 127.0.0.1:${ownPort}; see ${logFile}`);
  }
  const info = await readServerInfo('127.0.0.1', ownPort);
  options.log(`nats-server ${info.version ?? ''} ready on nats://127.0.0.1:${ownPort}`);
  return { url: `nats://127.0.0.1:${ownPort}`, server };
}

/** The binary named by NATS_SERVER_BIN, else nats-server on PATH or in the sbin folders Debian uses. */
export function findNatsServer(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.NATS_SERVER_BIN) return isExecutable(env.NATS_SERVER_BIN) ? env.NATS_SERVER_BIN : undefined;
  const folders = [...(env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].filter(Boolean);
  return folders.map((folder) => join(folder, 'nats-server')).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface ServerInfo {
  version?: string;
  jetstream?: boolean;
}

/** Reads the INFO line a NATS server sends first on every connection. */
function readServerInfo(host: string, port: number, timeoutMs = 3_000): Promise<ServerInfo> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    let received = '';
    const fail = (reason: string) => {
      socket.destroy();
      reject(new Error(`${host}:${port} does not answer like a NATS server (${reason})`));
    };
    socket.setTimeout(timeoutMs, () => fail('no INFO line'));
    socket.once('error', (error) => fail(error.message));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      socket.destroy();
      const line = received.slice(0, end);
      if (!line.startsWith('INFO ')) return fail(`first line: ${line.slice(0, 60)}`);
      try {
        resolve(JSON.parse(line.slice(5)) as ServerInfo);
      } catch {
        fail('INFO is not JSON');
      }
    });
  });
}
