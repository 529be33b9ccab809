// Compares each record's shape with its source's schema: fields the schema does not know, fields whose type
// changed, required fields that are missing. Per record it walks the record once and allocates nothing unless
// something drifted. A record lists at most `limit` changes and only counts the rest, so one record with
// 10,000 unknown fields costs the same to store and announce as one with a few.
import type { ValueType } from '@vigil/contracts';
import type { FieldMap } from './schema-registry.js';

export type DriftChange = 'unknown_field' | 'type_changed' | 'missing_field';

export interface Drift {
  source: string;
  /** Registered version compared against; 0 for the transaction contract. */
  schemaVersion: number;
  change: DriftChange;
  field: string;
  expected: string;
  actual: string;
  transactionId: string;
}

export type ChangeCounts = Record<DriftChange, number>;

/** The changes one record shows: the first `limit` in full, the rest only counted by kind. */
export interface DriftFindings {
  changes: Drift[];
  omitted: ChangeCounts;
}

/** Changes recorded per record by default; beyond it a record's changes are counted, not named. */
export const DRIFT_CHANGES_PER_RECORD = 20;

/** Stands for a missing value in `report`, whose `actual` is then 'absent'. */
const ABSENT = Symbol('absent');

const BITS: Record<ValueType, number> = {
  string: 1,
  number: 2 | 4,
  integer: 4,
  boolean: 8,
  object: 16,
  array: 32,
  null: 64,
};

interface FieldNode {
  name: string;
  /** The dotted path of the node's children: '' at the root, 'origin.' below origin. */
  prefix: string;
  /** Bit mask of the JSON types allowed (number includes integer). */
  types: number;
  typeText: string;
  children?: Map<string, FieldNode>;
  requiredChildren: FieldNode[];
}

export interface CompiledSchema {
  source: string;
  version: number;
  root: FieldNode;
}

export function compileSchema(source: string, version: number, fields: FieldMap): CompiledSchema {
  const root: FieldNode = {
    name: '',
    prefix: '',
    types: BITS.object,
    typeText: 'object',
    children: new Map(),
    requiredChildren: [],
  };
  const paths = [...fields.keys()].sort((a, b) => a.split('.').length - b.split('.').length);
  for (const path of paths) {
    const spec = fields.get(path)!;
    const parts = path.split('.');
    let parent = root;
    for (const part of parts.slice(0, -1)) {
      parent.children ??= new Map();
      let next = parent.children.get(part);
      if (!next) {
        next = {
          name: part,
          prefix: `${parent.prefix}${part}.`,
          types: BITS.object,
          typeText: 'object',
          requiredChildren: [],
        };
        parent.children.set(part, next);
      }
      parent = next;
    }
    parent.children ??= new Map();
    const node: FieldNode = {
      name: parts.at(-1)!,
      prefix: `${path}.`,
      types: spec.types.reduce((bits, t) => bits | BITS[t], 0),
      typeText: spec.types.join('|'),
      requiredChildren: [],
      ...(parent.children.get(parts.at(-1)!)?.children
        ? { children: parent.children.get(parts.at(-1)!)!.children }
        : {}),
    };
    parent.children.set(node.name, node);
    if (spec.required) parent.requiredChildren.push(node);
  }
  return { source, version, root };
}

function typeBit(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return BITS.string;
    case 'number':
      return Number.isInteger(value) ? BITS.integer : 2;
    case 'boolean':
      return BITS.boolean;
    case 'object':
      return value === null ? BITS.null : Array.isArray(value) ? BITS.array : BITS.object;
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      // not JSON: matches no schema type
      return 0;
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The changes in one record, or undefined (the usual case) when it matches its schema. */
export function detectDrift(
  schema: CompiledSchema,
  record: unknown,
  transactionId: string,
  conformsToContract = false,
  limit = DRIFT_CHANGES_PER_RECORD,
): DriftFindings | undefined {
  if (typeBit(record) !== BITS.object) return undefined;
  // a record the transaction schema accepted can differ from the contract only by extra top-level fields:
  // the schema checked every type, every required field and closed every nested object
  if (conformsToContract && schema.version === 0)
    return unknownTopLevel(schema, record as Record<string, unknown>, transactionId, limit);
  return walk(schema, schema.root, record as Record<string, unknown>, transactionId, undefined, limit);
}

function unknownTopLevel(
  schema: CompiledSchema,
  record: Record<string, unknown>,
  transactionId: string,
  limit: number,
): DriftFindings | undefined {
  const children = schema.root.children!;
  let found: DriftFindings | undefined;
  for (const key in record)
    if (!children.has(key))
      found = report(found, schema, 'unknown_field', key, 'absent', record[key], transactionId, limit);
  return found;
}

// Runs per record: no closures, and a path string only once something drifted.
function walk(
  schema: CompiledSchema,
  node: FieldNode,
  value: Record<string, unknown>,
  transactionId: string,
  found: DriftFindings | undefined,
  limit: number,
): DriftFindings | undefined {
  const children = node.children!;
  const prefix = node.prefix;
  // for-in walks V8's cached key list of the object's shape, without an array per object; parsed JSON has no
  // inherited enumerable keys
  for (const key in value) {
    const child = children.get(key);
    const item = value[key];
    if (child === undefined) {
      found = report(found, schema, 'unknown_field', key, 'absent', item, transactionId, limit, prefix);
      continue;
    }
    const bit = typeBit(item);
    if ((child.types & bit) === 0) {
      found = report(found, schema, 'type_changed', key, child.typeText, item, transactionId, limit, prefix);
      continue;
    }
    if (child.children !== undefined && bit === BITS.object)
      found = walk(schema, child, item as Record<string, unknown>, transactionId, found, limit);
  }
  const required = node.requiredChildren;
  for (let i = 0; i < required.length; i++) {
    const name = required[i]!.name;
    if (value[name] === undefined && !Object.hasOwn(value, name))
      found = report(found, schema, 'missing_field', name, 'present', ABSENT, transactionId, limit, prefix);
  }
  return found;
}

// Past the limit only the kind is counted: no path string, no object per change.
function report(
  found: DriftFindings | undefined,
  schema: CompiledSchema,
  change: DriftChange,
  name: string,
  expected: string,
  value: unknown,
  transactionId: string,
  limit: number,
  prefix = '',
): DriftFindings {
  found ??= { changes: [], omitted: { unknown_field: 0, type_changed: 0, missing_field: 0 } };
  if (found.changes.length >= limit) {
    found.omitted[change]++;
    return found;
  }
  found.changes.push({
    source: schema.source,
    schemaVersion: schema.version,
    change,
    field: prefix + name,
    expected,
    actual: value === ABSENT ? 'absent' : typeName(value),
    transactionId,
  });
  return found;
}
