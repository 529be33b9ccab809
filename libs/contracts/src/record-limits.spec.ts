import fc from 'fast-check';
import {
  MAX_KEY_LENGTH,
  MAX_RECORD_BYTES,
  MAX_RECORD_DEPTH,
  MAX_STRING_LENGTH,
  inspectRecord,
  planParts,
  timestampProblem,
} from './index.js';

const nested = (depth: number): unknown => JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));

describe('inspectRecord', () => {
  it('accepts an ordinary record', () => {
    expect(
      inspectRecord({ transaction_id: 't-1', amount: '1.00', timestamp: '2026-01-01T00:00:00+03:00' }),
    ).toBeUndefined();
  });

  it('refuses nesting beyond the limit without overflowing the stack, naming where', () => {
    expect(inspectRecord(nested(MAX_RECORD_DEPTH - 1))).toBeUndefined();
    for (const depth of [MAX_RECORD_DEPTH + 1, 10_000, 200_000]) {
      const refusal = inspectRecord(nested(depth));
      expect(refusal).toMatchObject({ status: 400, code: 'ingest.too_deep' });
      expect(refusal!.field).toBe('/a'.repeat(MAX_RECORD_DEPTH));
    }
  });

  it('refuses NUL and unpaired surrogates in values and keys, naming the field', () => {
    expect(inspectRecord(JSON.parse('{"note":{"x":"a\\u0000b"}}'))).toMatchObject({
      code: 'ingest.nul_character',
      field: '/note/x',
    });
    expect(inspectRecord(JSON.parse('{"list":["ok","\\ud800"]}'))).toMatchObject({
      code: 'ingest.lone_surrogate',
      field: '/list/1',
    });
    expect(inspectRecord(JSON.parse('{"a":{"\\udc00x":1}}'))).toMatchObject({
      code: 'ingest.lone_surrogate',
      field: '/a',
    });
    expect(inspectRecord(JSON.parse('{"k\\u0000":1}'))).toMatchObject({
      code: 'ingest.nul_character',
      field: '',
    });
    expect(inspectRecord({ emoji: '💳 ok' })).toBeUndefined();
  });

  it('refuses over-long strings and keys, and __proto__ keys', () => {
    expect(inspectRecord({ a: 'x'.repeat(MAX_STRING_LENGTH + 1) })).toMatchObject({
      code: 'ingest.string_too_long',
      field: '/a',
    });
    expect(inspectRecord({ a: { ['k'.repeat(MAX_KEY_LENGTH + 1)]: 1 } })).toMatchObject({
      code: 'ingest.key_too_long',
      field: '/a',
    });
    const polluted = JSON.parse('{"a":{"__proto__":{"admin":true}}}') as object;
    expect(inspectRecord(polluted)).toMatchObject({ code: 'ingest.forbidden_key', field: '/a/__proto__' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses a record over the size limit with 413', () => {
    const big = { parts: Array.from({ length: 40 }, () => 'x'.repeat(8000)) };
    expect(inspectRecord(big)).toMatchObject({ status: 413, code: 'ingest.record_too_large', field: '' });
    expect(JSON.stringify(big).length).toBeGreaterThan(MAX_RECORD_BYTES);
  });

  it('refuses timestamps Postgres cannot store and no others', () => {
    expect(timestampProblem('2026-01-01T00:00:00-23:59')).toMatch(/offset/);
    expect(timestampProblem('2026-01-01T00:00:00+16:00')).toMatch(/offset/);
    expect(timestampProblem('0000-01-01T00:00:00Z')).toMatch(/year/);
    expect(timestampProblem('2026-02-30T00:00:00Z')).toMatch(/calendar/);
    expect(timestampProblem('2026-01-01T00:00:00+15:59')).toBeUndefined();
    expect(timestampProblem('2024-02-29T23:59:60.5Z')).toBeUndefined();
    expect(timestampProblem('not a time -23:59')).toBeUndefined();
    expect(inspectRecord({ timestamp: '2026-01-01T00:00:00-23:59' })).toMatchObject({
      code: 'ingest.timestamp_range',
      field: '/timestamp',
    });
  });

  it('names a field whose key holds a card number without echoing it', () => {
    const refusal = inspectRecord({ ['ref4111111111111111']: { x: 'a\u0000' } });
    expect(refusal!.field).toBe('/ref[card number]/x');
    expect(JSON.stringify(refusal)).not.toContain('4111111111111111');
  });
});

describe('planParts', () => {
  it('keeps order, fits each part in the budget and the record limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 400 }),
        fc.integer({ min: 5000, max: 50_000 }),
        fc.integer({ min: 1, max: 100 }),
        (sizes, budget, maxRecords) => {
          const parts = planParts(sizes, budget, maxRecords);
          expect(parts.flat()).toEqual(sizes.map((_, i) => i));
          for (const part of parts) {
            expect(part.length).toBeLessThanOrEqual(maxRecords);
            const bytes = 2 + part.reduce((n, i) => n + sizes[i]!, 0) + part.length - 1;
            expect(bytes).toBeLessThanOrEqual(budget);
          }
        },
      ),
      { seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261206 },
    );
  });
});
