import type { SchemaRegistration } from '@vigil/contracts';
import {
  IncompatibleSchemaError,
  compatibilityProblems,
  fieldsOf,
  register,
  registryProblems,
} from './schema-registry.js';

const v1 = fieldsOf({
  id: { type: 'string', required: true },
  amount: { type: 'integer', required: true },
  note: { type: 'string' },
});

describe('compatibility modes', () => {
  it('BACKWARD: new readers read old records, so no new required field and no narrowing', () => {
    expect(
      compatibilityProblems(
        'BACKWARD',
        v1,
        fieldsOf({ id: { type: 'string', required: true }, amount: { type: 'number', required: true } }),
      ),
    ).toEqual([]);
    const withTier = fieldsOf({
      id: { type: 'string', required: true },
      amount: { type: 'integer', required: true },
      note: { type: 'string' },
      tier: { type: 'string', required: true },
    });
    expect(compatibilityProblems('BACKWARD', v1, withTier)).toEqual([
      'tier is new and required, but records of the previous version do not have it',
    ]);
    expect(
      compatibilityProblems(
        'BACKWARD',
        v1,
        fieldsOf({ id: { type: 'string', required: true }, amount: { type: 'string', required: true } }),
      ),
    ).toEqual(['amount changes type from integer to string: previous records do not fit']);
  });

  it('FORWARD: old readers read new records, so no required field may go', () => {
    expect(
      compatibilityProblems(
        'FORWARD',
        v1,
        fieldsOf({
          id: { type: 'string', required: true },
          amount: { type: 'integer' },
          tier: { type: 'string', required: true },
        }),
      ),
    ).toEqual(['amount becomes optional, but readers of the previous version require it']);
    expect(
      compatibilityProblems('FORWARD', v1, fieldsOf({ amount: { type: 'integer', required: true } })),
    ).toEqual(['id is removed, but readers of the previous version require it']);
  });

  it('FULL is both, NONE is anything', () => {
    const next = fieldsOf({
      id: { type: 'string', required: true },
      amount: { type: 'integer', required: true },
      tier: { type: 'string' },
    });
    expect(compatibilityProblems('FULL', v1, next)).toEqual([]);
    expect(compatibilityProblems('FULL', v1, fieldsOf({ id: { type: 'string' } }))).toHaveLength(2);
    expect(
      compatibilityProblems('NONE', v1, fieldsOf({ other: { type: 'boolean', required: true } })),
    ).toEqual([]);
  });
});

describe('register()', () => {
  const registration = (
    fields: SchemaRegistration['fields'],
    compatibility?: SchemaRegistration['compatibility'],
  ): SchemaRegistration => ({
    source: 'bank-x',
    fields,
    ...(compatibility ? { compatibility } : {}),
  });

  it('numbers versions per source and keeps the mode', () => {
    const first = register(
      undefined,
      registration({ id: { type: 'string', required: true } }, 'FULL'),
      'ops',
      new Date('2026-01-01T00:00:00Z'),
    );
    const second = register(
      first.registry,
      registration({ id: { type: 'string', required: true }, note: { type: 'string' } }),
      'ops',
    );
    expect([first.version, second.version]).toEqual([1, 2]);
    expect(second.registry.sources['bank-x']!.compatibility).toBe('FULL');
    expect(registryProblems(second.registry)).toEqual([]);
  });

  it('refuses an incompatible version with every reason', () => {
    const first = register(undefined, registration({ id: { type: 'string', required: true } }), 'ops');
    expect(() =>
      register(
        first.registry,
        registration({ id: { type: 'integer', required: true }, tier: { type: 'string', required: true } }),
        'ops',
      ),
    ).toThrow(IncompatibleSchemaError);
    try {
      register(first.registry, registration({ id: { type: 'integer', required: true } }), 'ops');
    } catch (error) {
      expect((error as IncompatibleSchemaError).problems).toEqual([
        'id changes type from string to integer: previous records do not fit',
      ]);
    }
  });

  it('finds a document written around register() that breaks its own mode', () => {
    const first = register(undefined, registration({ id: { type: 'string', required: true } }), 'ops');
    const forced = structuredClone(first.registry);
    forced.sources['bank-x']!.versions.push({
      version: 2,
      fields: { id: { type: 'boolean', required: true } },
      registered_at: '2026-01-01T00:00:00Z',
      registered_by: 'x',
    });
    expect(registryProblems(forced)).toEqual([
      'bank-x version 2: id changes type from string to boolean: previous records do not fit',
    ]);
  });
});
