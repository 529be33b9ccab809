import { Semaphore } from './semaphore.js';

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('lets up to its slot count through and makes the next one wait for a release', async () => {
    const slots = new Semaphore(2);
    await slots.acquire();
    await slots.acquire();
    let third = false;
    void slots.acquire().then(() => (third = true));

    await settled();
    expect(third).toBe(false);
    expect(slots.inFlight).toBe(2);

    slots.release();
    await settled();
    expect(third).toBe(true);
    expect(slots.inFlight).toBe(2);
  });

  it('hands released slots to waiters in the order they asked', async () => {
    const slots = new Semaphore(1);
    await slots.acquire();
    const order: string[] = [];
    void slots.acquire().then(() => order.push('first'));
    void slots.acquire().then(() => order.push('second'));

    slots.release();
    await settled();
    slots.release();
    await settled();

    expect(order).toEqual(['first', 'second']);
  });

  it('idle() resolves at once when nothing is in flight, else when the last slot is released', async () => {
    const slots = new Semaphore(3);
    await slots.idle();
    await slots.acquire();
    await slots.acquire();
    let idle = false;
    void slots.idle().then(() => (idle = true));

    slots.release();
    await settled();
    expect(idle).toBe(false);
    slots.release();
    await settled();
    expect(idle).toBe(true);
    expect(slots.inFlight).toBe(0);
  });
});
