// What compiled CEL runs on: CEL's semantics for the values a record carries (JSON, plus bigint ints and
// decimals, Dates for timestamps, millisecond numbers for durations), as small functions the compiled
// code calls.
import { fromScaled } from '@vigil/contracts';
import { CelDecimal, CelRuleError } from './cel-environment.js';

export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
const TIMESTAMP_MAX = 253402300799999;
const TIMESTAMP_MIN = -62135596800000;
export const TIMESTAMP = 'google.protobuf.Timestamp';
export const DURATION = 'google.protobuf.Duration';

export function isMap(value: unknown): value is Record<string, unknown> | Map<unknown, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof CelDecimal)
  );
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'double';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Date) return 'timestamp';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof CelDecimal) return 'decimal';
  return typeof value === 'object' ? 'map' : typeof value;
}

/** A CEL type as a value (`type(x) == string`); one instance per name, so identity is equality. */
export class CelType {
  constructor(readonly name: string) {}
}
export const TYPE_NAMES = new Map(
  ['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type'].map(
    (name) => [name, new CelType(name)] as const,
  ),
);
export const DECIMAL_TYPE = new CelType('decimal');
export const TIMESTAMP_TYPE = new CelType(TIMESTAMP);

export function typeNameOf(value: unknown): CelType {
  if (value instanceof Date) return TIMESTAMP_TYPE;
  if (value instanceof CelDecimal) return DECIMAL_TYPE;
  if (value instanceof CelType) return TYPE_NAMES.get('type')!;
  const kind = kindOf(value);
  const type = TYPE_NAMES.get(kind === 'null' ? 'null_type' : kind);
  if (!type) throw new CelRuleError(`type() of ${kind} is not supported here`);
  return type;
}

export function toInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value >= 2 ** 63 || value <= -(2 ** 63))
      throw new CelRuleError(`int() of ${value} is out of range`);
    return BigInt(Math.trunc(value));
  }
  if (typeof value === 'string' && /^[+-]?[0-9]+$/.test(value)) return checkedInt(BigInt(value));
  throw noOverload('int', value);
}

export const noOverload = (op: string, ...values: unknown[]): CelRuleError =>
  new CelRuleError(`no such overload: ${op}(${values.map(kindOf).join(', ')})`);

/** `object.field`; the common case (a JSON object that has the field) is tested first. */
export function select(object: unknown, field: string): unknown {
  if (typeof object === 'object' && object !== null) {
    if (Object.hasOwn(object, field)) {
      // only maps have own named fields a CEL selection can reach; lists are the exception to rule out
      const value = (object as Record<string, unknown>)[field];
      if (!Array.isArray(object) && value !== undefined) return value;
    } else if (object instanceof Map) {
      if (object.get(field) !== undefined) return object.get(field);
    }
    if (isMap(object)) throw new CelRuleError(`No such key: ${field}`);
  }
  throw new CelRuleError(`cannot select .${field} from ${kindOf(object)}`);
}

/** `has(object.field)`: false for anything but a map that has the field (null and scalars have no fields). */
export function has(object: unknown, field: string): boolean {
  if (typeof object !== 'object' || object === null) return false;
  // a field holding undefined (possible in a JavaScript object, never in JSON) is absent, as for cel-js
  if (object instanceof Map) return object.get(field) !== undefined;
  return (
    isMap(object) && Object.hasOwn(object, field) && (object as Record<string, unknown>)[field] !== undefined
  );
}

export function index(object: unknown, key: unknown): unknown {
  if (Array.isArray(object)) {
    if (typeof key !== 'bigint') throw noOverload('[]', object, key);
    if (key < 0n || key >= BigInt(object.length)) throw new CelRuleError(`index out of range: ${key}`);
    return object[Number(key)] as unknown;
  }
  if (isMap(object) && typeof key === 'string') return select(object, key);
  throw noOverload('[]', object, key);
}

export function asBool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new CelRuleError(`expected bool, got ${kindOf(value)}`);
}

export function asString(value: unknown, op: string): string {
  if (typeof value === 'string') return value;
  throw noOverload(op, value);
}

export function checkedInt(value: bigint): bigint {
  if (value > INT64_MAX || value < INT64_MIN) throw new CelRuleError(`integer overflow: ${value}`);
  return value;
}

export function celEquals(a: unknown, b: unknown): boolean {
  if (a === b) return typeof a !== 'number' || !Number.isNaN(a);
  const ka = typeof a;
  const kb = typeof b;
  if ((ka === 'number' || ka === 'bigint') && (kb === 'number' || kb === 'bigint'))
    return (a as number) == (b as number); // eslint-disable-line eqeqeq -- CEL compares int and double by value
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => celEquals(x, b[i]));
  if (a instanceof Date) return b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof CelDecimal) return b instanceof CelDecimal && a.scaled === b.scaled;
  if (isMap(a) && isMap(b) && !(a instanceof Map) && !(b instanceof Map)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && celEquals(a[k], b[k]))
    );
  }
  return false;
}

export const ORDER = {
  '<': (c: number) => c < 0,
  '<=': (c: number) => c <= 0,
  '>': (c: number) => c > 0,
  '>=': (c: number) => c >= 0,
};

export function compare(a: unknown, b: unknown): number {
  const ka = typeof a;
  const kb = typeof b;
  if ((ka === 'number' || ka === 'bigint') && (kb === 'number' || kb === 'bigint')) {
    if (Number.isNaN(a) || Number.isNaN(b)) throw new CelRuleError('NaN has no order');
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  }
  if (ka === 'string' && kb === 'string') return (a as string) < (b as string) ? -1 : a === b ? 0 : 1;
  if (ka === 'boolean' && kb === 'boolean') return Number(a) - Number(b);
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  throw noOverload('compare', a, b);
}

export function contains(container: unknown, element: unknown): boolean {
  if (Array.isArray(container)) {
    for (const item of container) if (celEquals(item, element)) return true;
    return false;
  }
  if (isMap(container) && !(container instanceof Map)) {
    if (typeof element !== 'string') return false;
    return Object.hasOwn(container, element);
  }
  if (container instanceof Map) return container.has(element);
  throw noOverload('in', element, container);
}

export function size(value: unknown): bigint {
  if (typeof value === 'string') {
    let count = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0xd800 || c > 0xdbff) count++;
    }
    return BigInt(count);
  }
  if (Array.isArray(value)) return BigInt(value.length);
  if (value instanceof Map) return BigInt(value.size);
  if (isMap(value)) return BigInt(Object.keys(value).length);
  throw noOverload('size', value);
}

export function applyArithmetic(op: '+' | '-' | '*' | '/' | '%', a: unknown, b: unknown): unknown {
  if (typeof a === 'bigint' && typeof b === 'bigint') {
    switch (op) {
      case '+':
        return checkedInt(a + b);
      case '-':
        return checkedInt(a - b);
      case '*':
        return checkedInt(a * b);
      case '/':
        if (b === 0n) throw new CelRuleError('division by zero');
        return checkedInt(a / b);
      case '%':
        if (b === 0n) throw new CelRuleError('modulus by zero');
        return a % b;
    }
  }
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return a / b;
      case '%':
        throw noOverload(op, a, b);
    }
  }
  if (op === '+' && typeof a === 'string' && typeof b === 'string') return a + b;
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return (a as unknown[]).concat(b as unknown[]);
  throw noOverload(op, a, b);
}

// The last text parsed: a record's timestamp is usually read by several rules in a row.
let lastTimestampText: string | undefined;
let lastTimestamp: Date | undefined;

export function parseTimestamp(text: unknown): Date {
  if (typeof text !== 'string') throw noOverload('timestamp', text);
  if (text === lastTimestampText) return lastTimestamp!;
  if (text.length < 20 || text.length > 30)
    throw new CelRuleError('timestamp() requires a string in ISO 8601 format');
  const date = new Date(text);
  const ms = date.getTime();
  if (!(ms <= TIMESTAMP_MAX && ms >= TIMESTAMP_MIN))
    throw new CelRuleError('timestamp() requires a string in ISO 8601 format');
  lastTimestampText = text;
  lastTimestamp = date;
  return date;
}

export function shiftTimestamp(at: Date, ms: number): Date {
  const shifted = at.getTime() + ms;
  if (!(shifted <= TIMESTAMP_MAX && shifted >= TIMESTAMP_MIN))
    throw new CelRuleError('timestamp out of range');
  return new Date(shifted);
}

/** Renders a value of the expression's static type for a reason text. */
export function renderer(type: string): (value: unknown) => string {
  const render = (value: unknown): string => {
    if (value instanceof CelDecimal) return value.toString();
    if (typeof value === 'bigint') return type === 'decimal' ? fromScaled(value) : value.toString();
    if (typeof value === 'number' && type === 'decimal') return fromScaled(BigInt(value));
    if (value instanceof Date) return value.toISOString();
    if (value instanceof CelType) return value.name;
    if (Array.isArray(value)) return value.map(render).join(', ');
    if (typeof value === 'string') return value;
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return JSON.stringify(value) ?? typeof value;
  };
  return render;
}
