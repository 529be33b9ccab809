// A trace backend for the dev runner (npm start -- --traces): Jaeger v2 with in-memory storage, OTLP/HTTP in,
// its query API out. The trace tests run the same configuration (test/observability/support.ts).
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { preferredOrFreePort, waitForPort } from './ports.ts';
import type { ManagedProcess, Supervisor } from './supervisor.ts';

export const JAEGER_VERSION = 'v1.75.0';

export const BUILD_JAEGER_HINT = [
  `Jaeger ${JAEGER_VERSION} was not found (JAEGER_BIN, or ~/.cache/vigil/jaeger-${JAEGER_VERSION}/jaeger). Build it once`,
  'from the Go module proxy (about 20 minutes on 2 cores): tools/jaeger/build.sh',
  'or point OTEL_EXPORTER_OTLP_ENDPOINT at any OTLP/HTTP receiver (an OpenTelemetry Collector, Grafana Tempo).',
].join('\n');

export interface JaegerPorts {
  /** OTLP/HTTP receiver: the services' OTEL_EXPORTER_OTLP_ENDPOINT. */
  otlp: number;
  /** The query API (/api/services, /api/traces). */
  query: number;
  grpc: number;
}

/** Jaeger v2 (an OpenTelemetry Collector distribution): OTLP receiver, memory store, query extension. */
export function jaegerConfig(ports: JaegerPorts, host = '127.0.0.1'): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: ${host}:${ports.query}
    grpc:
      endpoint: ${host}:${ports.grpc}
receivers:
  otlp:
    protocols:
      http:
        endpoint: ${host}:${ports.otlp}
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** JAEGER_BIN, else the binary .ci/run caches. */
export function findJaeger(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path =
    env.JAEGER_BIN ||
    join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), `vigil/jaeger-${JAEGER_VERSION}/jaeger`);
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    return undefined;
  }
}

export interface RunningJaeger {
  otlpEndpoint: string;
  queryUrl: string;
  server: ManagedProcess;
}

export async function startJaeger(options: {
  stateDir: string;
  supervisor: Supervisor;
  log: (message: string, level?: 'info' | 'warn' | 'error') => void;
}): Promise<RunningJaeger> {
  const binary = findJaeger();
  if (!binary) throw new Error(BUILD_JAEGER_HINT);
  const ports = {
    otlp: await preferredOrFreePort(4318),
    query: await preferredOrFreePort(16686),
    grpc: await preferredOrFreePort(16685),
  };
  const dir = join(options.stateDir, 'jaeger');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, jaegerConfig(ports));
  const logFile = join(options.stateDir, 'jaeger.log');
  options.log(`starting ${binary} (traces in memory; log ${logFile})`);
  const server = options.supervisor.start('jaeger', {
    command: binary,
    args: [`--config=file:${config}`],
    cwd: dir,
    outputFile: logFile,
  });
  const up = await waitForPort('127.0.0.1', ports.query, {
    timeoutMs: 30_000,
    stillStarting: () => server.running,
  });
  if (!up) {
    await server.stop({ timeoutMs: 2_000 });
    throw new Error(`Jaeger did not start; see ${logFile}`);
  }
  return {
    otlpEndpoint: `http://127.0.0.1:${ports.otlp}`,
    queryUrl: `http://localhost:${ports.query}`,
    server,
  };
}
