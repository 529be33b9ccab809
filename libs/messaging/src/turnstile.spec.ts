import { Turnstile } from './turnstile.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('Turnstile', () => {
  it('publishes in the order messages were taken, however long each took before publishing', async () => {
    const turnstile = new Turnstile();
    const published: number[] = [];
    const work = [30, 5, 15, 0].map(async (delayMs, n) => {
      const turn = turnstile.take();
      await tick(delayMs);
      await turn.inOrder(() => Promise.resolve(published.push(n)));
    });
    await Promise.all(work);
    expect(published).toEqual([0, 1, 2, 3]);
  });

  it('lets the next messages go when one finishes without publishing', async () => {
    const turnstile = new Turnstile();
    const published: number[] = [];
    const failed = turnstile.take();
    const next = turnstile.take();
    const publishing = next.inOrder(() => Promise.resolve(published.push(1)));
    await tick(5);
    expect(published).toEqual([]);
    failed.done();
    failed.done();
    await publishing;
    expect(published).toEqual([1]);
  });
});
