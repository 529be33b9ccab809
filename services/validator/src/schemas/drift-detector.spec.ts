import { compileSchema, detectDrift } from './drift-detector.js';
import { contractFields, fieldsOf } from './schema-registry.js';

const schema = compileSchema(
  'partner-a',
  3,
  fieldsOf({
    id: { type: 'string', required: true },
    amount: { type: 'string', required: true },
    count: { type: 'number' },
    origin: { type: 'object', required: true },
    'origin.account': { type: 'string', required: true },
    meta: { type: 'object' },
  }),
);

describe('detectDrift', () => {
  it('finds nothing in a record that matches (the usual case, and nothing allocated for it)', () => {
    expect(
      detectDrift(
        schema,
        { id: 'a', amount: '1', count: 2, origin: { account: 'C1' }, meta: { any: { thing: 1 } } },
        't1',
      ),
    ).toBeUndefined();
  });

  it('names unknown fields, changed types and missing required fields by their dotted path', () => {
    expect(
      detectDrift(schema, { id: 'a', amount: 1.5, origin: { extra: true }, tier: 'gold' }, 't2')?.changes,
    ).toEqual([
      {
        source: 'partner-a',
        schemaVersion: 3,
        change: 'type_changed',
        field: 'amount',
        expected: 'string',
        actual: 'number',
        transactionId: 't2',
      },
      {
        source: 'partner-a',
        schemaVersion: 3,
        change: 'unknown_field',
        field: 'origin.extra',
        expected: 'absent',
        actual: 'boolean',
        transactionId: 't2',
      },
      {
        source: 'partner-a',
        schemaVersion: 3,
        change: 'missing_field',
        field: 'origin.account',
        expected: 'present',
        actual: 'absent',
        transactionId: 't2',
      },
      {
        source: 'partner-a',
        schemaVersion: 3,
        change: 'unknown_field',
        field: 'tier',
        expected: 'absent',
        actual: 'string',
        transactionId: 't2',
      },
    ]);
  });

  it('takes an integer for a number', () => {
    expect(
      detectDrift(schema, { id: 'a', amount: '1', count: 7, origin: { account: 'C1' } }, 't3'),
    ).toBeUndefined();
  });

  it('looks only for extra top-level fields in a record the transaction schema accepted', () => {
    const contract = compileSchema('api', 0, contractFields());
    const record = {
      transaction_id: 't',
      type: 'PAYMENT',
      amount: '1',
      currency: 'NGN',
      timestamp: 'x',
      region: 'NG',
      origin: { account: 'C' },
      promo: 1,
    };
    expect(detectDrift(contract, record, 't5', true)).toEqual(detectDrift(contract, record, 't5', false));
  });

  it('holds a record to the transaction contract when the source registered nothing', () => {
    const contract = compileSchema('api', 0, contractFields());
    expect(
      detectDrift(
        contract,
        {
          transaction_id: 't',
          type: 'PAYMENT',
          amount: '1',
          currency: 'NGN',
          timestamp: 'x',
          region: 'NG',
          origin: { account: 'C' },
          promo: 1,
        },
        't4',
      )?.changes,
    ).toEqual([expect.objectContaining({ change: 'unknown_field', field: 'promo', schemaVersion: 0 })]);
  });

  it('names at most the limit of changes per record and counts the rest by kind', () => {
    const record: Record<string, unknown> = { id: 'a', amount: 1, origin: { account: 'C1' } };
    for (let i = 0; i < 10_000; i++) record[`f${i}`] = i;
    const found = detectDrift(schema, record, 't6', false, 20)!;
    expect(found.changes).toHaveLength(20);
    expect(found.changes[0]).toMatchObject({ change: 'type_changed', field: 'amount' });
    expect(found.changes.slice(1).map((c) => c.field)).toEqual(Array.from({ length: 19 }, (_, i) => `f${i}`));
    expect(found.omitted).toEqual({ unknown_field: 10_000 - 19, type_changed: 0, missing_field: 0 });
  });
});
