// `npm start` keeps the suite up when a service dies: the runner says which service died, how, and when it will
// be started again, restarts it, and Ctrl-C still stops everything with exit code 0.
import { execFileSync, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TestDatabase, TestNatsServer, freePort, waitFor } from '@vigil/testing';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The process listening on a local TCP port (the service's health port), from `ss`. */
function listenerPid(port: number): number | undefined {
  const line = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const pid = /pid=(\d+)/.exec(line)?.[1];
  return pid ? Number(pid) : undefined;
}

describe('npm start when a service dies', () => {
  it('restarts the service with a log line naming it, the signal and the delay; Ctrl-C stops everything', async () => {
    const nats = await TestNatsServer.start();
    const db = await TestDatabase.create();
    const metricsBase = await freePort();
    const validatorPort = metricsBase + 1;
    const output: string[] = [];
    const runner = spawn(`${ROOT}node_modules/.bin/node`, ['scripts/dev.ts', '--only', 'validator'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        METRICS_PORT_BASE: String(metricsBase),
        DEMO_TRAFFIC: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
    runner.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const text = () => Promise.resolve(output.join(''));
    let code: number | null | string;
    try {
      await waitFor(text, (t) => t.includes('validator ready'), {
        what: 'the validator ready (after a build, if the sources changed)',
        timeoutMs: 180_000,
        intervalMs: 200,
      });
      const first = listenerPid(validatorPort)!;
      expect(first).toEqual(expect.any(Number));
      process.kill(first, 'SIGKILL');
      const log = await waitFor(text, (t) => t.includes('validator ready again'), {
        what: 'the validator ready again',
        timeoutMs: 60_000,
        intervalMs: 200,
      });
      expect(log).toMatch(
        /validator exited unexpectedly \(killed by SIGKILL\) after [0-9.]+ m?s; restarting in 250 ms \(restart 1 in a row\)/,
      );
      expect(log).toContain('validator restarted (restart 1 in a row)');
      const second = listenerPid(validatorPort);
      expect(second).toEqual(expect.any(Number));
      expect(second).not.toBe(first);
    } finally {
      runner.kill('SIGINT');
      code = await Promise.race([exited, sleep(45_000, 'still running', { ref: false })]);
      if (code === 'still running') runner.kill('SIGKILL');
      await nats.dispose();
      await db.drop();
    }
    expect(code).toBe(0);
    expect(output.join('')).toContain('all stopped');
  }, 300_000);
});
