import { ruleSetSchema } from '@vigil/contracts';
import { toStructuralSchema, UnsupportedSchemaError } from './structural-schema.js';

describe('toStructuralSchema', () => {
  it('turns "kind X needs field Y" into a CEL rule on the item', () => {
    const rule = toStructuralSchema(ruleSetSchema).properties!.rules!.items!;
    expect(rule['x-kubernetes-validations']).toContainEqual({
      rule: '!(has(self.kind) && self.kind == "expression") || (has(self.expr))',
      message: 'with kind expression, expr is required',
    });
    expect(rule.required).toEqual(['id', 'kind']);
    expect(rule.properties!.kind!.enum).toContain('duplicate');
  });

  it('makes a numeric exclusive bound the OpenAPI v3.0 boolean form', () => {
    const alpha = toStructuralSchema(ruleSetSchema).properties!.anomaly!.properties!.alpha!;
    expect(alpha).toMatchObject({ type: 'number', minimum: 0, exclusiveMinimum: true, maximum: 1 });
  });

  it('merges objects told apart by a constant into one object with an enum', () => {
    const schema = toStructuralSchema({
      type: 'object',
      additionalProperties: {
        oneOf: [
          {
            type: 'object',
            required: ['type', 'url'],
            properties: { type: { const: 'webhook' }, url: { type: 'string' } },
          },
          {
            type: 'object',
            required: ['type', 'to'],
            properties: { type: { const: 'sms' }, to: { type: 'string' } },
          },
        ],
      },
    });
    expect(schema.additionalProperties).toEqual({
      type: 'object',
      required: ['type'],
      properties: {
        type: { type: 'string', enum: ['webhook', 'sms'] },
        url: { type: 'string' },
        to: { type: 'string' },
      },
    });
  });

  it('unfolds a recursive reference to a fixed depth, then keeps the fields as they are', () => {
    const schema = toStructuralSchema({
      type: 'object',
      $defs: {
        node: {
          type: 'object',
          properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } },
        },
      },
      properties: { root: { $ref: '#/$defs/node' } },
    });
    let node = schema.properties!.root!;
    for (let level = 0; level < 3; level++) node = node.properties!.children!.items!;
    expect(node['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('refuses a keyword it cannot translate instead of dropping it', () => {
    expect(() =>
      toStructuralSchema({ type: 'object', properties: { a: { type: 'string', not: { const: 'x' } } } }),
    ).toThrow(UnsupportedSchemaError);
  });
});
