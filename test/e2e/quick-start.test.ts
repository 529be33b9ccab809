// The README's first command on a fresh database: an analyst signs in and lists scored transactions; Ctrl-C stops
// it cleanly. How long that takes is printed, not asserted: it depends on what else the machine is doing (a timed
// test is not a benchmark).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestDatabase, TestNatsServer, freePort, waitFor } from '@vigil/testing';
import { getJson, tokenFor } from '../support/api.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PASSWORD = 'quick-start-password-42';

/**
 * The lowest port the kernel hands out to outgoing connections: a port at or above it can be taken at any moment by
 * a client socket of a test running beside this one, so a fixed range for listeners must lie below it.
 */
function ephemeralPortsStart(): number {
  try {
    return (
      Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768
    );
  } catch {
    return 32_768;
  }
}

/**
 * Five consecutive free ports for the services' metrics, so this run can sit beside a developer's suite: below the
 * ephemeral range, where no outgoing connection of another test takes one between this probe and npm start's check.
 */
async function freePortRange(size: number): Promise<number> {
  const below = Math.min(ephemeralPortsStart(), 40_000) - size;
  for (;;) {
    const base = 20_000 + Math.floor(Math.random() * (below - 20_000));
    const probes = await Promise.all(
      Array.from({ length: size }, (_, i) =>
        fetch(`http://127.0.0.1:${base + i}/`).then(
          () => false,
          () => true,
        ),
      ),
    );
    if (probes.every(Boolean)) return base;
  }
}

describe('quick start: npm start', () => {
  it('serves scored transactions to an analyst and stops cleanly on Ctrl-C', async () => {
    const nats = await TestNatsServer.start();
    const db = await TestDatabase.create();
    const gatewayPort = await freePort();
    const output: string[] = [];
    const started = Date.now();
    const runner = spawn(`${ROOT}node_modules/.bin/node`, ['scripts/dev.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        GATEWAY_PORT: String(gatewayPort),
        INGEST_PORT: String(await freePort()),
        METRICS_PORT_BASE: String(await freePortRange(5)),
        DEMO_PASSWORD: PASSWORD,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
    runner.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    try {
      const token = await waitFor(
        () => tokenFor(gateway, 'analyst', PASSWORD).catch(() => ''),
        (t) => t !== '',
        { what: 'the gateway to sign in the analyst', timeoutMs: 90_000, intervalMs: 200 },
      );
      const page = await waitFor(
        () =>
          getJson<{ items: { status: string; score: number | null }[] }>(
            `${gateway}/v1/transactions?limit=10`,
            token,
          ),
        (r) => r.status === 200 && r.body.items.some((t) => t.status === 'scored'),
        // generous: beside another test file on 2 cores the five services start several times slower
        { what: 'scored transactions', timeoutMs: 120_000, intervalMs: 200 },
      );
      process.stdout.write(`npm start to a scored transaction listed: ${Date.now() - started} ms\n`);
      expect(page.body.items.filter((t) => t.status === 'scored')[0]!.score).toEqual(expect.any(Number));

      const banner = output.join('');
      expect(banner).toContain(`http://localhost:${gatewayPort}/`);
      for (const user of ['admin', 'analyst', 'partner-a', 'partner-b']) expect(banner).toContain(user);
      expect(banner).toContain(PASSWORD);
    } catch (error) {
      // what npm start said, so a slow or failed start explains itself
      process.stdout.write(`npm start printed:\n${output.join('').split('\n').slice(-40).join('\n')}\n`);
      throw error;
    } finally {
      runner.kill('SIGINT');
      const code = await Promise.race([exited, sleep(45_000, 'still running', { ref: false })]);
      if (code === 'still running') runner.kill('SIGKILL');
      await nats.dispose();
      await db.drop();
      expect(code).toBe(0);
    }
  }, 330_000);
});
