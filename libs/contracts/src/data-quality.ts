// Data-quality configuration documents: validation rule sets and the schema registry, kept versioned in NATS KV.
import type { FromSchema } from 'json-schema-to-ts';

export const RULE_KINDS = [
  'required',
  'type',
  'format',
  'range',
  'enum',
  'reference',
  'pattern',
  'expression',
  'duplicate',
  'freshness',
] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export const VALUE_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'] as const;
export type ValueType = (typeof VALUE_TYPES)[number];

export const FORMATS = [
  'date-time',
  'decimal',
  'signed-decimal',
  'currency-code',
  'country-code',
  'uuid',
] as const;

export const COMPATIBILITY_MODES = ['BACKWARD', 'FORWARD', 'FULL', 'NONE'] as const;
export type CompatibilityMode = (typeof COMPATIBILITY_MODES)[number];

/** A dotted path into a record, e.g. `origin.balance_after`. */
const fieldPath = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$',
} as const;
/** Go-style duration: 90s, 10m, 24h, 7d, 1h30m. */
const duration = { type: 'string', pattern: '^([0-9]+(ms|s|m|h|d))+$' } as const;
const decimal = { type: 'string', pattern: '^-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$' } as const;
const severity = { type: 'string', enum: ['error', 'warn'] } as const;
const celExpression = { type: 'string', minLength: 1, maxLength: 4096 } as const;

/** Which parameters each kind needs; the rest of the checks happen when the rule set is compiled. */
const needs = (kind: RuleKind, required: string[]) => ({
  if: { properties: { kind: { const: kind } } },
  // the properties are declared (as anything) because ajv's strict mode wants every required one named here
  then: { required, properties: Object.fromEntries(required.map((name) => [name, true])) },
});

export const validationRuleSchema = {
  type: 'object',
  required: ['id', 'kind'],
  additionalProperties: false,
  properties: {
    id: {
      type: 'string',
      pattern: '^[a-z][a-z0-9_-]*(\\.[a-z0-9_-]+)*$',
      maxLength: 64,
      description: 'Stable rule id; the `code` of every reason it gives, e.g. range.amount',
    },
    kind: { type: 'string', enum: RULE_KINDS },
    description: { type: 'string' },
    severity: { ...severity, description: 'error quarantines (the default); warn passes with a flag' },
    severity_by_source: {
      type: 'object',
      description: 'Severity for records of a given source; off skips the rule for that source',
      additionalProperties: { type: 'string', enum: ['error', 'warn', 'off'] },
    },
    message: {
      type: 'string',
      minLength: 1,
      description:
        'Reason text; {expected}, {actual} and {<CEL expression>} placeholders are filled from the record',
    },
    when: { ...celExpression, description: 'CEL condition; the rule applies only where it is true' },
    field: { ...fieldPath, description: 'The field the rule checks and its reasons name' },
    type: { type: 'string', enum: VALUE_TYPES },
    format: { type: 'string', enum: FORMATS },
    min: { ...decimal, description: 'Lower bound, a decimal string' },
    max: { ...decimal, description: 'Upper bound, a decimal string' },
    min_exclusive: { type: 'boolean' },
    max_exclusive: { type: 'boolean' },
    values: { type: 'array', minItems: 1, items: { type: 'string' } },
    set: { type: 'string', minLength: 1, description: 'Name of a reference set of the rule set' },
    key: { ...fieldPath, description: 'Field whose value picks the list from a keyed reference set' },
    unknown_key: {
      type: 'string',
      enum: ['pass', 'fail'],
      description: 'What a key without reference data means (default pass: not guessed at)',
    },
    pattern: { type: 'string', minLength: 1 },
    expr: {
      ...celExpression,
      description: 'CEL expression over record, source, refs, received_at; true passes',
    },
    expected: { ...celExpression, description: 'CEL expression for the expected value shown in reasons' },
    actual: { ...celExpression, description: 'CEL expression for the actual value shown in reasons' },
    by: { type: 'string', enum: ['id', 'content'] },
    fields: {
      type: 'array',
      minItems: 1,
      items: fieldPath,
      description: 'The fields whose values make up the content fingerprint',
    },
    window: duration,
    max_age: {
      ...duration,
      description: 'How far the field may lie behind the time ingest received the record',
    },
    max_future: { ...duration, description: 'How far it may lie ahead of it' },
  },
  allOf: [
    needs('required', ['field']),
    needs('type', ['field', 'type']),
    needs('format', ['field', 'format']),
    needs('range', ['field']),
    needs('enum', ['field', 'values']),
    needs('reference', ['field', 'set']),
    needs('pattern', ['field', 'pattern']),
    needs('expression', ['expr']),
    needs('duplicate', ['by']),
  ],
} as const;
export type ValidationRule = FromSchema<typeof validationRuleSchema>;

/** A rule set as applied: rules evaluated in order on every record, with their reference data. */
export const ruleSetSchema = {
  $id: 'vigil/document/validation-rule-set',
  type: 'object',
  required: ['name', 'rules'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 128 },
    description: { type: 'string' },
    reference_sets: {
      type: 'object',
      description: 'Named lists (e.g. currencies) or lists keyed by a value (e.g. currencies by region)',
      additionalProperties: {
        anyOf: [
          { type: 'array', items: { type: 'string' } },
          { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        ],
      },
    },
    rules: { type: 'array', items: validationRuleSchema, maxItems: 500 },
    anomaly: {
      type: 'object',
      description: 'How a window pass rate is judged against its exponentially weighted history',
      additionalProperties: false,
      properties: {
        alpha: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: 1,
          description: 'EWMA weight of a new window',
        },
        deviations: {
          type: 'number',
          exclusiveMinimum: 0,
          description: 'Width of the band in standard deviations',
        },
        min_drop: {
          type: 'number',
          minimum: 0,
          maximum: 1,
          description: 'Smallest drop below the mean that counts',
        },
        min_records: {
          type: 'integer',
          minimum: 1,
          description: 'Windows with fewer records are not judged',
        },
        min_windows: { type: 'integer', minimum: 1, description: 'History needed before judging' },
      },
    },
  },
} as const;
export type RuleSet = FromSchema<typeof ruleSetSchema>;

const fieldType = { type: 'string', enum: VALUE_TYPES } as const;

/** The shape one source's records are expected to have: each dotted field with its type(s) and presence. */
export const sourceSchemaFieldsSchema = {
  type: 'object',
  minProperties: 1,
  propertyNames: fieldPath,
  additionalProperties: {
    type: 'object',
    required: ['type'],
    additionalProperties: false,
    properties: {
      type: { anyOf: [fieldType, { type: 'array', minItems: 1, items: fieldType }] },
      required: { type: 'boolean' },
    },
  },
} as const;
export type SourceSchemaFields = FromSchema<typeof sourceSchemaFieldsSchema>;

/** A schema as submitted for registration (e.g. from a YAML file). */
export const schemaRegistrationSchema = {
  $id: 'vigil/document/schema-registration',
  type: 'object',
  required: ['source', 'fields'],
  additionalProperties: false,
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 64 },
    compatibility: { type: 'string', enum: COMPATIBILITY_MODES },
    description: { type: 'string' },
    fields: sourceSchemaFieldsSchema,
  },
} as const;
export type SchemaRegistration = FromSchema<typeof schemaRegistrationSchema>;

/** Every registered schema version of every source: one document, so a registration is one compare-and-set. */
export const schemaRegistrySchema = {
  $id: 'vigil/document/schema-registry',
  type: 'object',
  required: ['sources'],
  additionalProperties: false,
  properties: {
    sources: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['compatibility', 'versions'],
        additionalProperties: false,
        properties: {
          compatibility: { type: 'string', enum: COMPATIBILITY_MODES },
          versions: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['version', 'fields', 'registered_at', 'registered_by'],
              additionalProperties: false,
              properties: {
                version: { type: 'integer', minimum: 1 },
                description: { type: 'string' },
                fields: sourceSchemaFieldsSchema,
                registered_at: { type: 'string', format: 'date-time' },
                registered_by: { type: 'string' },
              },
            },
          },
        },
      },
    },
  },
} as const;
export type SchemaRegistry = FromSchema<typeof schemaRegistrySchema>;
