import { TokenCache } from './token-cache.js';

describe('TokenCache', () => {
  it('returns an entry until its expiry and forgets it afterwards', () => {
    const cache = new TokenCache<string>(10);
    cache.set('t', 'principal', 2_000);
    expect(cache.get('t', 1_999)).toBe('principal');
    expect(cache.get('t', 2_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('evicts the least recently used entry when full', () => {
    const cache = new TokenCache<number>(2);
    cache.set('a', 1, Infinity);
    cache.set('b', 2, Infinity);
    cache.get('a');
    cache.set('c', 3, Infinity);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('keeps nothing when its size is 0', () => {
    const cache = new TokenCache<number>(0);
    cache.set('a', 1, Infinity);
    expect(cache.get('a')).toBeUndefined();
  });
});
