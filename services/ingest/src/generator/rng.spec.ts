import { Rng } from './rng.js';

describe('Rng', () => {
  it('repeats its sequence for a seed and differs across seeds', () => {
    const draw = (seed: number) => {
      const rng = new Rng(seed);
      return Array.from({ length: 5 }, () => rng.nextUint32());
    };
    const a = new Rng(42);
    const b = new Rng(42);
    const sequence = Array.from({ length: 100 }, () => a.nextUint32());
    expect(Array.from({ length: 100 }, () => b.nextUint32())).toEqual(sequence);
    expect(draw(1)).not.toEqual(draw(2));
    expect(new Rng(2 ** 40).nextUint32()).not.toBe(new Rng(0).nextUint32());
  });

  it('keeps integers inside their inclusive bounds and reaches both ends', () => {
    const rng = new Rng(9);
    const seen = new Set(Array.from({ length: 2_000 }, () => rng.int(3, 7)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });
});
