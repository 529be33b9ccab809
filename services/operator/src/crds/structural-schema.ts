// Turns a document's JSON Schema (libs/contracts, checked by ajv) into the structural OpenAPI v3 schema a
// CustomResourceDefinition needs, so the API server refuses what the services would refuse and the shapes are
// written once. What OpenAPI cannot say structurally becomes CEL (`x-kubernetes-validations`):
// `if kind == X then required` and "exactly one of". Recursion (alerting's nested routes) is unfolded to a
// fixed depth; deeper levels, and unions of unrelated types, keep their fields and are left to the operator,
// which validates the whole document with the same ajv schema before it compiles it.

export interface StructuralSchema {
  type?: string;
  description?: string;
  properties?: Record<string, StructuralSchema>;
  required?: string[];
  items?: StructuralSchema;
  additionalProperties?: StructuralSchema;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  nullable?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

type JsonSchema = Record<string, unknown>;

/** Formats the API server knows; others are checked by the operator's ajv validation only. */
const KUBERNETES_FORMATS = new Set(['date-time', 'date', 'uuid', 'email', 'uri', 'hostname', 'ipv4', 'ipv6']);
/** How many levels of a recursive `$ref` the CRD spells out. */
const RECURSION_DEPTH = 3;

const IGNORED = new Set([
  '$id',
  '$schema',
  '$defs',
  'additionalProperties',
  'default',
  'examples',
  'propertyNames',
  'if',
  'then',
  'allOf',
  'oneOf',
  'anyOf',
  'uniqueItems',
  'const',
  'exclusiveMinimum',
  'exclusiveMaximum',
]);
const COPIED = [
  'description',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
] as const;

export class UnsupportedSchemaError extends Error {}

export function toStructuralSchema(schema: object): StructuralSchema {
  const root = schema as JsonSchema;
  return new Converter((root.$defs ?? {}) as Record<string, JsonSchema>).convert(root, '', new Map());
}

class Converter {
  constructor(private readonly defs: Record<string, JsonSchema>) {}

  convert(schema: JsonSchema | boolean, path: string, depth: Map<string, number>): StructuralSchema {
    if (schema === true || (typeof schema === 'object' && Object.keys(schema).length === 0))
      return { 'x-kubernetes-preserve-unknown-fields': true };
    if (schema === false) throw new UnsupportedSchemaError(`${path}: false schema`);
    if (typeof schema.$ref === 'string') return this.reference(schema.$ref, path, depth);
    for (const keyword of Object.keys(schema))
      if (!IGNORED.has(keyword) && !(COPIED as readonly string[]).includes(keyword))
        if (!['type', 'properties', 'required', 'items', 'enum', 'format'].includes(keyword))
          throw new UnsupportedSchemaError(`${path}: keyword ${keyword} has no translation`);

    const union = (schema.oneOf ?? schema.anyOf) as JsonSchema[] | undefined;
    if (union && !schema.type && union.every((branch) => branch.type === 'object'))
      return this.objectUnion(schema, union, path, depth);
    if (union && !schema.type) return this.opaque(schema);

    const out: StructuralSchema = {};
    const { type, nullable } = typeOf(schema, path);
    out.type = type;
    if (nullable) out.nullable = true;
    for (const keyword of COPIED)
      if (schema[keyword] !== undefined) Object.assign(out, { [keyword]: schema[keyword] });
    if (typeof schema.format === 'string' && KUBERNETES_FORMATS.has(schema.format))
      out.format = schema.format;
    if (Array.isArray(schema.enum)) out.enum = schema.enum;
    if (schema.const !== undefined) out.enum = [schema.const];
    if (typeof schema.exclusiveMinimum === 'number') {
      out.minimum = schema.exclusiveMinimum;
      out.exclusiveMinimum = true;
    }
    if (typeof schema.exclusiveMaximum === 'number') {
      out.maximum = schema.exclusiveMaximum;
      out.exclusiveMaximum = true;
    }
    if (type === 'object') this.object(schema, out, path, depth);
    if (type === 'array') {
      out.items = this.convert((schema.items ?? true) as JsonSchema, `${path}[]`, depth);
      if (schema.uniqueItems === true && out.items.type && out.items.type !== 'object')
        out['x-kubernetes-list-type'] = 'set';
    }
    const rules = [...this.conditionalRules(schema, path), ...(union ? this.exactlyOneRules(union) : [])];
    if (rules.length > 0) out['x-kubernetes-validations'] = rules;
    return out;
  }

  private object(schema: JsonSchema, out: StructuralSchema, path: string, depth: Map<string, number>): void {
    const properties = schema.properties as Record<string, JsonSchema> | undefined;
    if (properties) {
      out.properties = {};
      for (const [name, property] of Object.entries(properties))
        out.properties[name] = this.convert(property, `${path}.${name}`, depth);
    }
    if (Array.isArray(schema.required) && schema.required.length > 0)
      out.required = [...(schema.required as string[])];
    const additional = schema.additionalProperties as JsonSchema | boolean | undefined;
    if (additional && typeof additional === 'object')
      out.additionalProperties = this.convert(additional, `${path}.*`, depth);
    else if (additional === true || (!properties && additional === undefined))
      out['x-kubernetes-preserve-unknown-fields'] = true;
  }

  /** Objects told apart by their fields (channels by `type`): one object with every branch's fields. */
  private objectUnion(
    schema: JsonSchema,
    union: JsonSchema[],
    path: string,
    depth: Map<string, number>,
  ): StructuralSchema {
    const properties: Record<string, JsonSchema> = {};
    const constants = new Map<string, unknown[]>();
    for (const branch of union)
      for (const [name, property] of Object.entries(
        (branch.properties ?? {}) as Record<string, JsonSchema>,
      )) {
        if (property.const !== undefined)
          constants.set(name, [...(constants.get(name) ?? []), property.const]);
        properties[name] ??= property;
      }
    // a discriminator (`type: webhook | email | sms`) becomes an enum of every branch's constant
    for (const [name, values] of constants) properties[name] = { type: typeof values[0], enum: values };
    const requiredEverywhere = union
      .map((b) => (b.required ?? []) as string[])
      .reduce((common, required) => common.filter((name) => required.includes(name)));
    return this.convert(
      {
        type: 'object',
        ...(schema.description ? { description: schema.description } : {}),
        properties,
        ...(requiredEverywhere.length > 0 ? { required: requiredEverywhere } : {}),
      },
      path,
      depth,
    );
  }

  private opaque(schema: JsonSchema): StructuralSchema {
    return {
      ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      'x-kubernetes-preserve-unknown-fields': true,
    };
  }

  private reference(ref: string, path: string, depth: Map<string, number>): StructuralSchema {
    const name = /^#\/\$defs\/(.+)$/.exec(ref)?.[1];
    const target = name ? this.defs[name] : undefined;
    if (!name || !target) throw new UnsupportedSchemaError(`${path}: unresolved ${ref}`);
    const level = depth.get(name) ?? 0;
    if (level >= RECURSION_DEPTH)
      return {
        type: 'object',
        description: `Nested further; checked by the operator against the document schema`,
        'x-kubernetes-preserve-unknown-fields': true,
      };
    return this.convert(target, path, new Map(depth).set(name, level + 1));
  }

  /** `if: {properties: {kind: {const: X}}}, then: {required: [...]}`, alone or in allOf. */
  private conditionalRules(schema: JsonSchema, path: string): { rule: string; message: string }[] {
    const conditionals = [schema, ...((schema.allOf ?? []) as JsonSchema[])].filter((s) => s.if);
    return conditionals.map((conditional) => {
      const when = Object.entries(
        ((conditional.if as JsonSchema).properties ?? {}) as Record<string, JsonSchema>,
      );
      const required = ((conditional.then as JsonSchema | undefined)?.required ?? []) as string[];
      if (when.length === 0 || when.some(([, s]) => s.const === undefined) || required.length === 0)
        throw new UnsupportedSchemaError(
          `${path}: only "if field is a constant then required" is translated`,
        );
      const condition = when.map(([field, s]) => `self.${field} == ${JSON.stringify(s.const)}`).join(' && ');
      const has = required.map((field) => `has(self.${field})`).join(' && ');
      const what = when.map(([field, s]) => `${field} ${String(s.const)}`).join(', ');
      return {
        rule: `!(${when.map(([field]) => `has(self.${field})`).join(' && ')} && ${condition}) || (${has})`,
        message: `with ${what}, ${required.join(', ')} ${required.length === 1 ? 'is' : 'are'} required`,
      };
    });
  }

  /** `oneOf: [{required: [a]}, {required: [b]}]` on an object: exactly one of a, b. */
  private exactlyOneRules(union: JsonSchema[]): { rule: string; message: string }[] {
    const singles = union.map((branch) => branch.required as string[] | undefined);
    if (!singles.every((required) => required?.length === 1) || union.some((b) => b.type)) return [];
    const fields = singles.map((required) => required![0]!);
    return [
      {
        rule: `${fields.map((field) => `(has(self.${field}) ? 1 : 0)`).join(' + ')} == 1`,
        message: `exactly one of ${fields.join(', ')} is required`,
      },
    ];
  }
}

function typeOf(schema: JsonSchema, path: string): { type: string; nullable: boolean } {
  if (typeof schema.type === 'string') return { type: schema.type, nullable: false };
  if (Array.isArray(schema.type)) {
    const types = (schema.type as string[]).filter((t) => t !== 'null');
    if (types.length === 1) return { type: types[0]!, nullable: types.length < schema.type.length };
  }
  if (schema.const !== undefined) return { type: typeof schema.const, nullable: false };
  const values = schema.enum;
  if (Array.isArray(values) && values.every((v) => typeof v === typeof values[0]))
    return { type: typeof values[0], nullable: false };
  if (schema.properties) return { type: 'object', nullable: false };
  throw new UnsupportedSchemaError(`${path}: no single type`);
}
