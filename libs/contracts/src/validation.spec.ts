import * as contracts from './index.js';
import { compile, type Validator } from './validation.js';

/** Every validator reachable from the package's exports (subjects, requests and replies), with where it is. */
function validatorsIn(
  value: unknown,
  path: string,
  found: Map<string, Validator<unknown>>,
  seen = new Set(),
) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
  seen.add(value);
  const candidate = value as Partial<Validator<unknown>>;
  if (
    typeof value === 'function' &&
    typeof candidate.reasons === 'function' &&
    typeof candidate.compile === 'function'
  ) {
    found.set(path, value as Validator<unknown>);
    return;
  }
  if (typeof value === 'function') return;
  for (const [key, child] of Object.entries(value)) validatorsIn(child, `${path}.${key}`, found, seen);
}

describe('validators', () => {
  it('compile every schema of the contracts (each is compiled on first use, so a broken one shows here)', () => {
    const found = new Map<string, Validator<unknown>>();
    validatorsIn(contracts, 'contracts', found);
    // the stream subjects and the request/reply pairs: dozens, not a handful found by accident
    expect(found.size).toBeGreaterThan(30);
    const refused: string[] = [];
    for (const [path, validator] of found) {
      try {
        validator.compile();
      } catch (error) {
        refused.push(`${path}: ${(error as Error).message}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it('compiles a schema on first use, and reports a schema ajv refuses then, not at import', () => {
    const broken = compile<unknown>({ type: 'object', properties: { a: { type: 'no-such-type' } } });
    expect(() => broken.compile()).toThrow(/no-such-type|type/);
    expect(() => broken({ a: 1 })).toThrow();
  });

  it('checks and explains as before once compiled', () => {
    const positive = compile<{ n: number }>({
      type: 'object',
      properties: { n: { type: 'number', minimum: 1 } },
      required: ['n'],
      additionalProperties: false,
    });
    expect(positive({ n: 2 })).toBe(true);
    expect(positive({ n: 0 })).toBe(false);
    expect(positive.reasons()).toEqual([expect.objectContaining({ field: 'n' })]);
    expect(positive({})).toBe(false);
    expect(positive.reasons()).toEqual([expect.objectContaining({ field: 'n', message: 'n is required' })]);
  });
});
