// Starts the gateway in edge mode (GATEWAY_UPSTREAM_URL set): public HTTP in, the gateway API out; ops port beside.
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpsServer, createLogger, startTelemetry, stopTelemetry } from '@vigil/observability';
import { telemetryOptions, type RunningProcess } from '@vigil/runtime';
import type { GatewayEnv } from '../config.js';
import { EdgeProxy } from './edge-proxy.js';

export const EDGE_SERVICE = 'gateway-edge';

/** Ready while the gateway API answers its health route. */
function upstreamHealthy(upstream: URL): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = get(new URL('/health', upstream), { timeout: 1_500 }, (answer) => {
      answer.resume();
      if (answer.statusCode === 200) resolve();
      else reject(new Error(`gateway API health answered ${answer.statusCode}`));
    });
    probe.on('timeout', () => probe.destroy(new Error('gateway API health timed out')));
    probe.on('error', (error) => reject(new Error(`gateway API unreachable: ${error.message}`)));
  });
}

export async function startEdge(env: GatewayEnv & { GATEWAY_UPSTREAM_URL: string }): Promise<RunningProcess> {
  const upstream = new URL(env.GATEWAY_UPSTREAM_URL);
  startTelemetry(telemetryOptions(EDGE_SERVICE, env));
  const logger = createLogger(EDGE_SERVICE, env.LOG_LEVEL);
  const ops = new OpsServer(EDGE_SERVICE);
  ops.addReadinessCheck('gateway-api', () => upstreamHealthy(upstream));
  const proxy = new EdgeProxy({
    upstream,
    bodyLimitBytes: env.GATEWAY_EDGE_BODY_LIMIT_BYTES,
    idleTimeoutMs: env.GATEWAY_EDGE_IDLE_TIMEOUT_SECONDS * 1000,
    logger,
    registry: ops.registry,
  });
  // a slow client may not hold a connection open without finishing its request head
  const server: Server = createServer({ headersTimeout: 30_000, keepAliveTimeout: 65_000 }, proxy.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(env.GATEWAY_PORT, env.GATEWAY_HOST, resolve);
  });
  const opsPort = await ops.listen(env.METRICS_PORT);
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  logger.info({ url, upstream: upstream.origin, opsPort }, 'gateway edge listening');
  return {
    url,
    logger,
    close: async () => {
      // stop taking connections; open live feeds end with the process
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      await proxy.close();
      await ops.close();
      await stopTelemetry();
    },
  };
}
