// Generates one JavaScript function per checked CEL expression, the way ajv generates one per schema: V8
// optimises it as a whole, so a rule costs tens of nanoseconds instead of a walk over a tree of closures.
// It uses plain JavaScript operators where the checked types make them exact (decimals and ints are bigints,
// strings compare with ===) and small runtime functions elsewhere. It does not absorb errors the way CEL's
// && and || do: any error escapes, and the caller evaluates the expression again on the reference closures.
import type { Environment } from '@marcbachmann/cel-js';
import { fromScaled } from '@vigil/contracts';
import { CelRuleError, decimalOf } from './cel-environment.js';
import { addFastDecimals, parseFastDecimal, toFastDecimal, type FastDecimal } from './decimal.js';
import { Unsupported, typeOf, type CelContext, type Node } from './cel-types.js';
import {
  DECIMAL_TYPE,
  TIMESTAMP_TYPE,
  DURATION,
  TIMESTAMP,
  TYPE_NAMES,
  applyArithmetic,
  asString,
  celEquals,
  checkedInt,
  compare,
  contains,
  index,
  has,
  kindOf,
  noOverload,
  parseTimestamp,
  select,
  size,
  toInt,
  typeNameOf,
} from './cel-runtime.js';

function bool(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new CelRuleError(`expected bool, got ${kindOf(value)}`);
}

function negate(value: unknown): unknown {
  if (typeof value === 'bigint') return checkedInt(-value);
  if (typeof value === 'number') return -value;
  throw noOverload('-', value);
}

// Generated code holds decimals as FastDecimal (a number where the value is a safe integer, else a bigint).
function decimalFrom(value: unknown): FastDecimal {
  if (typeof value === 'string') {
    const parsed = parseFastDecimal(value);
    if (parsed !== undefined) return parsed;
  }
  return toFastDecimal(typeof value === 'bigint' ? value * 10_000n : decimalOf(value));
}

function subtractFastDecimals(a: FastDecimal, b: FastDecimal): FastDecimal {
  return addFastDecimals(a, -b);
}

function formatFastDecimal(value: FastDecimal): string {
  return fromScaled(BigInt(value));
}

/** Milliseconds of a timestamp variable: generated code holds timestamps as numbers. */
function millis(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  throw noOverload('timestamp', value);
}

let lastTimestampText: string | undefined;
let lastTimestampMs = 0;

const digit = (text: string, at: number): number => text.charCodeAt(at) - 48;
const digits = (text: string, from: number, count: number): number => {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = digit(text, i);
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
};

/**
 * `YYYY-MM-DDTHH:MM:SS[.fraction]Z` read directly, the form records carry; NaN for anything else, which
 * new Date() then reads. Gives what new Date() gives for the same text (days past a month's end roll over).
 */
function utcMillis(text: string): number {
  const n = text.length;
  if (n < 20 || text.charCodeAt(n - 1) !== 90 /* Z */ || text.charCodeAt(10) !== 84 /* T */) return NaN;
  if (
    text.charCodeAt(4) !== 45 ||
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(13) !== 58 ||
    text.charCodeAt(16) !== 58
  )
    return NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (
    year < 100 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  )
    return NaN;
  let ms = 0;
  if (n > 20) {
    if (text.charCodeAt(19) !== 46 || n === 21) return NaN;
    for (let i = 20; i < n - 1; i++) {
      const d = digit(text, i);
      if (d < 0 || d > 9) return NaN;
      if (i < 23) ms = ms * 10 + d;
    }
    for (let i = Math.min(n - 1, 23); i < 23; i++) ms *= 10;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** timestamp(text) in milliseconds; the last text is remembered, as several rules read one timestamp. */
function timestampMs(text: unknown): number {
  if (text === lastTimestampText) return lastTimestampMs;
  const fast = typeof text === 'string' && text.length <= 30 ? utcMillis(text) : NaN;
  const ms = Number.isNaN(fast) ? parseTimestamp(text).getTime() : fast;
  lastTimestampText = text as string;
  lastTimestampMs = ms;
  return ms;
}

function shiftMs(at: number, by: number): number {
  const shifted = at + by;
  if (!(shifted <= TIMESTAMP_MAX_MS && shifted >= TIMESTAMP_MIN_MS))
    throw new CelRuleError('timestamp out of range');
  return shifted;
}

/** The functions generated code calls, by short name. */
const RUNTIME = {
  MS: millis,
  TSMS: timestampMs,
  SHMS: shiftMs,
  S: select,
  I: index,
  B: bool,
  H: has,
  EQ: celEquals,
  CMP: compare,
  IN: contains,
  SZ: size,
  AR: applyArithmetic,
  D: decimalFrom,
  DADD: addFastDecimals,
  DSUB: subtractFastDecimals,
  FS: formatFastDecimal,
  T: typeNameOf,
  INT: toInt,
  NEG: negate,
  STR: asString,
};

/** The initial value of every memo slot: nothing an expression computes can be it. */
const UNSET = Object.freeze({ unset: true });

/** Names that some prototype of the values rules see defines; reading them inline could find the prototype's. */
const PROTOTYPE_NAMES = new Set(
  [
    Object.prototype,
    Array.prototype,
    Date.prototype,
    Map.prototype,
    Uint8Array.prototype,
    String.prototype,
    Function.prototype,
  ].flatMap((proto) => Object.getOwnPropertyNames(proto)),
);
const INLINE_SAFE_FIELD = (field: string): boolean => !PROTOTYPE_NAMES.has(field) && field !== '__proto__';

const isPlainLiteral = (node: Node): boolean =>
  node.op === 'value' &&
  (typeof node.args === 'string' || typeof node.args === 'boolean' || node.args === null);

/** Types for which the JavaScript operators give CEL's answer on the values generated code holds. */
const NATIVE_EQUALITY = new Set(['decimal', 'int', 'string', 'bool', TIMESTAMP, DURATION]);
const NATIVE_ORDER = new Set(['decimal', 'int', 'string', TIMESTAMP, DURATION]);
const TIMESTAMP_MAX_MS = 253402300799999;
const TIMESTAMP_MIN_MS = -62135596800000;

class Generator {
  constructor(
    private readonly env: Environment,
    private readonly variables: ReadonlySet<string>,
    readonly constants: unknown[] = [],
  ) {}

  private temps = 0;
  /** Code of a memoised subexpression -> its slot: a field read or a decimal parsed once per evaluation. */
  private readonly memos = new Map<string, string>();
  private readonly slots: string[] = [];
  private unset?: string;

  /** `let t0, ...;` for the temporaries, and the memo slots, all unset at the start of an evaluation. */
  declarations(): string {
    const temps = Array.from({ length: this.temps }, (_, i) => `t${i}`);
    const memos = this.slots.map((slot) => `${slot} = U`);
    const all = [...temps, ...memos];
    const unset = this.unset ? `const U = K[${this.constants.indexOf(UNSET)}];` : '';
    return all.length === 0 ? unset : `${unset} let ${all.join(', ')};`;
  }

  /**
   * Evaluates `code` at most once per evaluation, however often the expression mentions it. Pure code only:
   * if it throws, the whole evaluation falls back to the reference closures anyway.
   */
  private memo(key: string, build: () => string = () => key): string {
    let entry = this.memos.get(key);
    if (!entry) {
      // read into a local once per evaluation (see declarations())
      if (!this.unset) {
        this.constant(UNSET);
        this.unset = 'U';
      }
      const slot = `m${this.memos.size}`;
      entry = `(${slot} !== ${this.unset} ? ${slot} : (${slot} = ${build()}))`;
      this.memos.set(key, entry);
      this.slots.push(slot);
    }
    return entry;
  }

  private temp(): string {
    return `t${this.temps++}`;
  }

  private constant(value: unknown): string {
    this.constants.push(value);
    return `K[${this.constants.length - 1}]`;
  }

  emit(node: Node): string {
    switch (node.op) {
      case 'value':
        return this.literal(node.args);
      case 'id': {
        const name = node.args;
        const typeName = TYPE_NAMES.get(name);
        if (typeName !== undefined) return this.constant(typeName);
        if (!this.variables.has(name)) throw new Unsupported();
        const variable = `ctx[${JSON.stringify(name)}]`;
        return typeOf(node) === TIMESTAMP ? `R.MS(${variable})` : variable;
      }
      case '.': {
        const object = this.emit(node.args[0]);
        const field = node.args[1];
        return this.memo(`select ${object} ${field}`, () => this.select(object, field));
      }
      case '[]':
        return this.memo(`R.I(${this.emit(node.args[0])}, ${this.emit(node.args[1])})`);
      case '&&':
      case '||':
        return `(${this.boolean(node.args[0])} ${node.op} ${this.boolean(node.args[1])})`;
      case '!_':
        return `!${this.boolean(node.args)}`;
      case '-_':
        return typeOf(node.args) === 'decimal'
          ? `(-${this.emit(node.args)})`
          : `R.NEG(${this.emit(node.args)})`;
      case '?:': {
        const [c, a, b] = node.args as [Node, Node, Node];
        return `(${this.boolean(c)} ? ${this.emit(a)} : ${this.emit(b)})`;
      }
      case '==':
      case '!=': {
        const [l, r] = node.args as [Node, Node];
        // === is CEL's equality for two values of one such type, and against a string, bool or null literal
        const native =
          (typeOf(l) === typeOf(r) && NATIVE_EQUALITY.has(typeOf(l))) ||
          isPlainLiteral(l) ||
          isPlainLiteral(r);
        const equal = native
          ? `(${this.emit(l)} === ${this.emit(r)})`
          : `R.EQ(${this.emit(l)}, ${this.emit(r)})`;
        return node.op === '==' ? equal : `!${equal}`;
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const [l, r] = node.args as [Node, Node];
        if (typeOf(l) === typeOf(r) && NATIVE_ORDER.has(typeOf(l)))
          return `(${this.emit(l)} ${node.op} ${this.emit(r)})`;
        return `(R.CMP(${this.emit(l)}, ${this.emit(r)}) ${node.op} 0)`;
      }
      case 'in': {
        const [element, container] = node.args as [Node, Node];
        if (
          container.op === 'list' &&
          container.args.every((n) => (n as Node).op === 'value' && typeof (n as Node).args === 'string')
        )
          return `${this.constant(new Set(container.args.map((n) => (n as Node).args)))}.has(${this.emit(element)})`;
        return `R.IN(${this.emit(container)}, ${this.emit(element)})`;
      }
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return this.arithmetic(node);
      case 'list':
        return `[${node.args.map((n) => this.emit(n as Node)).join(', ')}]`;
      case 'call':
        return this.call(node);
      case 'rcall':
        return this.method(node);
      case '.?':
      case '[?]':
      case 'map':
        throw new Unsupported();
    }
  }

  /**
   * `object.field` inline for a JSON object: for a field name no prototype (Object's, Array's, Date's...) has,
   * a defined value read off a non-list object is its own field. Anything else goes through select().
   */
  private select(object: string, field: string): string {
    const name = JSON.stringify(field);
    if (!INLINE_SAFE_FIELD(field)) return `R.S(${object}, ${name})`;
    const t = this.temp();
    const v = this.temp();
    return `((${t} = ${object}) !== null && typeof ${t} === "object" && (${v} = ${t}[${name}]) !== undefined && !Array.isArray(${t}) ? ${v} : R.S(${t}, ${name}))`;
  }

  /** A bool operand: what the checker typed bool is one already; a dyn value is checked at run time. */
  boolean(node: Node): string {
    return typeOf(node) === 'bool' ? this.emit(node) : `R.B(${this.emit(node)})`;
  }

  private literal(value: unknown): string {
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'boolean' || value === null) return String(value);
    if (typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0)) return `(${value})`;
    return this.constant(value);
  }

  private arithmetic(node: Node): string {
    const [l, r] = node.args as [Node, Node];
    const left = this.emit(l);
    const right = this.emit(r);
    const op = node.op as '+' | '-' | '*' | '/' | '%';
    switch (typeOf(node)) {
      case 'decimal':
        if (op === '+') return `R.DADD(${left}, ${right})`;
        if (op === '-') return `R.DSUB(${left}, ${right})`;
        throw new Unsupported();
      case TIMESTAMP:
        if (op !== '+' && op !== '-') throw new Unsupported();
        return typeOf(l) === TIMESTAMP
          ? `R.SHMS(${left}, ${op === '-' ? '-' : ''}${right})`
          : `R.SHMS(${right}, ${left})`;
      case DURATION:
        if (op === '-' && typeOf(l) === TIMESTAMP) return `(${left} - ${right})`;
        if (op === '+' || op === '-') return `(${left} ${op} ${right})`;
        throw new Unsupported();
      default:
        return `R.AR(${JSON.stringify(op)}, ${left}, ${right})`;
    }
  }

  private call(node: Node): string {
    const [name, argNodes] = node.args as [string, Node[]];
    if (name === 'has') {
      const select = argNodes[0]!;
      if (select.op !== '.') throw new Unsupported();
      const t = this.temp();
      const field = select.args[1];
      const object = this.emit(select.args[0]);
      if (!INLINE_SAFE_FIELD(field)) return `R.H(${object}, ${JSON.stringify(field)})`;
      return `((${t} = ${object}) !== null && typeof ${t} === "object" && !Array.isArray(${t}) ? ${t}[${JSON.stringify(field)}] !== undefined || R.H(${t}, ${JSON.stringify(field)}) : R.H(${t}, ${JSON.stringify(field)}))`;
    }
    if (argNodes.length !== 1) throw new Unsupported();
    const argNode = argNodes[0]!;
    const argType = typeOf(argNode);
    switch (name) {
      case 'decimal':
        if (argNode.op === 'value') return this.literal(toFastDecimal(decimalOf(argNode.args)));
        return this.memo(`R.D(${this.emit(argNode)})`);
      case 'string':
        if (argType === 'decimal') return `R.FS(${this.emit(argNode)})`;
        if (argType === 'string') return this.emit(argNode);
        if (argType === 'int') return `String(${this.emit(argNode)})`;
        throw new Unsupported();
      case 'size':
        return `R.SZ(${this.emit(argNode)})`;
      case 'timestamp':
        if (argType !== 'string' && argType !== 'dyn') throw new Unsupported();
        return this.memo(`R.TSMS(${this.emit(argNode)})`);
      case 'duration':
        if (argNode.op !== 'value') throw new Unsupported();
        return `(${Number(this.env.evaluate(`duration(${JSON.stringify(argNode.args)})`) as number)})`;
      case 'type':
        if (argType === 'decimal') return this.constant(DECIMAL_TYPE);
        if (argType === TIMESTAMP) return this.constant(TIMESTAMP_TYPE);
        if (argType === DURATION) throw new Unsupported();
        return `R.T(${this.emit(argNode)})`;
      case 'int':
        if (argType === 'decimal') throw new Unsupported();
        return `R.INT(${this.emit(argNode)})`;
      default:
        throw new Unsupported();
    }
  }

  private method(node: Node): string {
    const [name, receiverNode, argNodes] = node.args as [string, Node, Node[]];
    const receiver = this.emit(receiverNode);
    if (name === 'size' && argNodes.length === 0) return `R.SZ(${receiver})`;
    if (argNodes.length !== 1) throw new Unsupported();
    const argNode = argNodes[0]!;
    switch (name) {
      case 'matches':
        if (argNode.op === 'value' && typeof argNode.args === 'string') {
          let regex: RegExp;
          try {
            regex = new RegExp(argNode.args);
          } catch {
            throw new Unsupported();
          }
          return `${this.constant(regex)}.test(R.STR(${receiver}, "matches"))`;
        }
        return `new RegExp(R.STR(${this.emit(argNode)}, "matches")).test(R.STR(${receiver}, "matches"))`;
      case 'startsWith':
      case 'endsWith':
        return `R.STR(${receiver}, ${JSON.stringify(name)}).${name}(R.STR(${this.emit(argNode)}, ${JSON.stringify(name)}))`;
      case 'contains':
        return `R.STR(${receiver}, "contains").includes(R.STR(${this.emit(argNode)}, "contains"))`;
      default:
        throw new Unsupported();
    }
  }
}

// The source is built from the checked tree only: names come from fixed tables, every field name and
// string literal is JSON-quoted, so nothing of an expression's text is evaluated as JavaScript.
function instantiate<F>(body: string, constants: unknown[]): F {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('R', 'K', `"use strict"; return ${body};`) as (
    runtime: typeof RUNTIME,
    constants: unknown[],
  ) => F;
  return factory(RUNTIME, constants);
}

/** The checked expression as one generated function; throws Unsupported for what only cel-js can run. */
export function generateFunction(
  env: Environment,
  ast: Node,
  variables: ReadonlySet<string>,
): (ctx: CelContext) => unknown {
  const type = typeOf(ast);
  // timestamps and durations are numbers inside generated code; only these two forms may leave it
  if (type !== TIMESTAMP && type !== DURATION && (type.includes(TIMESTAMP) || type.includes(DURATION)))
    throw new Unsupported();
  const generator = new Generator(env, variables);
  const body = generator.emit(ast);
  return instantiate(
    `function celRule(ctx) { ${generator.declarations()} return ${type === TIMESTAMP ? `new Date(${body})` : body}; }`,
    generator.constants,
  );
}

/** A rule for a combined program: it passes when `when` is false or `check` is true. */
export interface ProgramRule {
  check: Node;
  when?: Node;
}

/** At most this many rules per program, one bit each in a small integer. */
export const PROGRAM_RULES = 30;

/**
 * Up to PROGRAM_RULES rules as one function returning a bit mask of the rules that failed (bit i: rule i).
 * Any error escapes: the caller then evaluates those rules one by one.
 */
export function generateProgram(
  env: Environment,
  rules: readonly ProgramRule[],
  variables: ReadonlySet<string>,
): (ctx: CelContext) => number {
  if (rules.length > PROGRAM_RULES) throw new RangeError(`a program holds at most ${PROGRAM_RULES} rules`);
  const generator = new Generator(env, variables);
  const lines = rules.map((rule, i) => {
    const check = generator.boolean(rule.check);
    const passes = rule.when ? `(!${generator.boolean(rule.when)} || ${check})` : check;
    return `if (!${passes}) failed |= ${1 << i};`;
  });
  return instantiate(
    `function celRuleSet(ctx) { ${generator.declarations()} let failed = 0; ${lines.join(' ')} return failed; }`,
    generator.constants,
  );
}
