import { WorkQueue } from './work-queue.js';

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('WorkQueue', () => {
  it('processes a key once however often it was added while waiting', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const blocking = new WorkQueue(
      async (key) => {
        seen.push(key);
        if (key === 'a') await blocked;
      },
      () => undefined,
      { concurrency: 1, baseDelayMs: 1, maxDelayMs: 10 },
    );
    blocking.add('a');
    blocking.add('b');
    blocking.add('b');
    blocking.add('b');
    release();
    await settle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once, and runs it again when it changed meanwhile', async () => {
    let running = 0;
    let most = 0;
    let passes = 0;
    const queue = new WorkQueue(
      async () => {
        running++;
        most = Math.max(most, running);
        passes++;
        await settle();
        running--;
      },
      () => undefined,
      { concurrency: 4, baseDelayMs: 1, maxDelayMs: 10 },
    );
    queue.add('k');
    await new Promise((resolve) => setTimeout(resolve, 5));
    queue.add('k');
    await settle();
    await settle();
    await queue.idle();
    expect(most).toBe(1);
    expect(passes).toBe(2);
  });

  it('retries a failing key with a growing delay', async () => {
    const attempts: number[] = [];
    const delays: number[] = [];
    const queue = new WorkQueue(
      () => {
        attempts.push(Date.now());
        return attempts.length < 4 ? Promise.reject(new Error('not yet')) : Promise.resolve();
      },
      (_key, _error, retryInMs) => delays.push(retryInMs),
      { concurrency: 1, baseDelayMs: 5, maxDelayMs: 1_000 },
    );
    queue.add('k');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(attempts).toHaveLength(4);
    expect(delays).toEqual([5, 10, 20]);
  });
});
