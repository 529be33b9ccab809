// The dev runner's supervisor with real child processes: a process that dies is started again after a delay that
// grows and is capped, a stable run resets it, a kill by signal is restarted too, a process asked to stop is not,
// and closing the supervisor (Ctrl-C) drops a restart that was waiting.
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { Supervisor, type Restart, type StartOptions } from '../../scripts/lib/supervisor.ts';

const node = (script: string): StartOptions => ({
  command: process.execPath,
  args: ['-e', script],
  stopTimeoutMs: 2_000,
});
/** Exponential from 50 ms, capped at 200 ms: the shape of the real delays, fast enough for a test. */
const quick = (attempt: number) => Math.min(50 * 2 ** (attempt - 1), 200);

let supervisor: Supervisor;
beforeEach(() => {
  supervisor = new Supervisor();
});
afterEach(async () => {
  supervisor.close();
  for (const name of supervisor.names()) await supervisor.get(name)?.stop();
});

describe('restarting a process that dies', () => {
  it('restarts after a growing, capped delay, naming the exit code, until closed', async () => {
    const restarts: Restart[] = [];
    const started: number[] = [];
    supervisor.keepRunning('crasher', node('process.exit(3)'), {
      delayMs: quick,
      stableAfterMs: 60_000,
      onRestart: (restart) => restarts.push(restart),
      onRestarted: (child) => started.push(child.child.pid!),
    });
    await waitFor(
      () => Promise.resolve(restarts.length),
      (n) => n >= 5,
      { what: 'five restarts', timeoutMs: 10_000 },
    );
    supervisor.close();
    expect(restarts.slice(0, 5).map((r) => [r.name, r.exit.code, r.attempt, r.delayMs])).toEqual([
      ['crasher', 3, 1, 50],
      ['crasher', 3, 2, 100],
      ['crasher', 3, 3, 200],
      ['crasher', 3, 4, 200],
      ['crasher', 3, 5, 200],
    ]);
    expect(new Set(started).size).toBe(started.length);
    const seen = restarts.length;
    await sleep(600);
    expect(restarts.length).toBeLessThanOrEqual(seen + 1);
    expect(supervisor.names()).toEqual([]);
  });

  it('starts counting again after a stable run', async () => {
    const restarts: Restart[] = [];
    supervisor.keepRunning('flaky', node('setTimeout(() => process.exit(1), 300)'), {
      delayMs: quick,
      stableAfterMs: 200,
      onRestart: (restart) => restarts.push(restart),
    });
    await waitFor(
      () => Promise.resolve(restarts.length),
      (n) => n >= 3,
      { what: 'three restarts', timeoutMs: 10_000 },
    );
    expect(restarts.slice(0, 3).map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 50],
      [1, 50],
      [1, 50],
    ]);
    expect(restarts.every((r) => r.ranForMs >= 200)).toBe(true);
  });

  it('restarts a process killed by a signal, and not one asked to stop', async () => {
    const restarts: Restart[] = [];
    const first = supervisor.keepRunning('sleeper', node('setInterval(() => {}, 1000)'), {
      delayMs: quick,
      stableAfterMs: 60_000,
      onRestart: (restart) => restarts.push(restart),
    });
    await sleep(200);
    process.kill(first.child.pid!, 'SIGKILL');
    const second = await waitFor(
      () => Promise.resolve(supervisor.get('sleeper')),
      (p) => p !== undefined && p !== first && p.running,
      { what: 'the restarted sleeper' },
    );
    expect(restarts).toEqual([
      expect.objectContaining({ exit: { code: null, signal: 'SIGKILL' }, attempt: 1, delayMs: 50 }),
    ]);
    const stopped = await second!.stop();
    expect(stopped.signal).toBe('SIGTERM');
    await sleep(300);
    expect(restarts).toHaveLength(1);
    expect(supervisor.names()).toEqual([]);
  });

  it('leaves the exit to onUnexpectedExit when the policy declines to restart', async () => {
    const reported: (number | null)[] = [];
    const restarts: Restart[] = [];
    supervisor.keepRunning(
      'not-ready',
      { ...node('process.exit(7)'), onUnexpectedExit: (exit) => reported.push(exit.code) },
      {
        delayMs: quick,
        stableAfterMs: 60_000,
        restartIf: () => false,
        onRestart: (restart) => restarts.push(restart),
      },
    );
    await waitFor(
      () => Promise.resolve(reported),
      (codes) => codes.length === 1,
      { what: 'the exit reported' },
    );
    await sleep(200);
    expect(reported).toEqual([7]);
    expect(restarts).toEqual([]);
  });

  it('drops a restart still waiting when closed', async () => {
    const restarts: Restart[] = [];
    let restarted = 0;
    supervisor.keepRunning('slow-restart', node('process.exit(2)'), {
      delayMs: () => 500,
      stableAfterMs: 60_000,
      onRestart: (restart) => restarts.push(restart),
      onRestarted: () => restarted++,
    });
    await waitFor(
      () => Promise.resolve(restarts.length),
      (n) => n === 1,
      { what: 'the exit' },
    );
    supervisor.close();
    await sleep(800);
    expect(restarted).toBe(0);
    expect(supervisor.names()).toEqual([]);
  });

  it('uses the messaging library’s delays in the dev runner: exponential from 250 ms, capped at 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((attempt) => backoffMs(attempt))).toEqual([
      250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });
});
