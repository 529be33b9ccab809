// Compiles a CEL expression once into a JavaScript closure. cel-js parses and type-checks it (so what is valid
// CEL, and what each node's type is, is cel-js's call); the closures then evaluate the checked tree without
// cel-js's per-call dispatch, which is what lets every record run the whole rule set. An expression using
// something this compiler does not cover (macros such as all/exists, maps literals, optional fields, most
// functions) runs on cel-js's own evaluator instead: slower, never wrong. A differential test keeps the two
// in agreement on the rules the suite ships.
import type { Environment } from '@marcbachmann/cel-js';
import { fromScaled } from '@vigil/contracts';
import { decimalOf } from './cel-environment.js';
import { generateFunction } from './cel-codegen.js';
import { Unsupported, typeOf, type CelContext, type Node } from './cel-types.js';

export type { CelContext } from './cel-types.js';
import {
  DECIMAL_TYPE,
  DURATION,
  ORDER,
  TIMESTAMP,
  TYPE_NAMES,
  applyArithmetic,
  asBool,
  asString,
  celEquals,
  checkedInt,
  compare,
  contains,
  has,
  index,
  noOverload,
  parseTimestamp,
  renderer,
  select,
  shiftTimestamp,
  size,
  toInt,
  typeNameOf,
} from './cel-runtime.js';

type Evaluate = (ctx: CelContext) => unknown;

export interface CompiledExpression {
  readonly text: string;
  /** The CEL type cel-js's checker gave the expression, e.g. bool, decimal, list<string>. */
  readonly type: string;
  /** False when the expression runs on cel-js's evaluator. */
  readonly compiled: boolean;
  /** The checked tree, when compiled: rules combine into one generated program. */
  readonly ast?: Node;
  readonly evaluate: Evaluate;
  /** The value as text for a reason: decimals canonical, lists comma-separated, timestamps RFC 3339. */
  render(value: unknown): string;
}

export class CelCompileError extends Error {
  override name = 'CelCompileError';
  constructor(
    readonly expression: string,
    readonly detail: string,
  ) {
    super(`${detail} in ${JSON.stringify(expression)}`);
  }
}

export function compileExpression(
  env: Environment,
  text: string,
  variables: readonly string[],
): CompiledExpression {
  let parsed;
  try {
    parsed = env.parse(text);
  } catch (error) {
    throw new CelCompileError(text, firstLine(error));
  }
  const checked = parsed.check();
  if (!checked.valid) throw new CelCompileError(text, firstLine(checked.error));
  const type = checked.type ?? 'dyn';
  const render = renderer(type);
  try {
    const names = new Set(variables);
    // the closures are the reference: straightforward CEL, errors absorbed by && and || as the spec says
    const reference = new Compiler(env, names).compile(parsed.ast);
    // the generated function is the fast path; it throws on anything unusual and the reference decides
    const fast = generateFunction(env, parsed.ast, names);
    const evaluate: Evaluate = (ctx) => {
      try {
        return fast(ctx);
      } catch {
        return reference(ctx);
      }
    };
    return { text, type, compiled: true, evaluate, render, ast: parsed.ast };
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
    const viaCelJs = parsed as unknown as Evaluate;
    return { text, type, compiled: false, evaluate: (ctx) => viaCelJs(ctx), render };
  }
}

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

class Compiler {
  constructor(
    private readonly env: Environment,
    private readonly variables: ReadonlySet<string>,
  ) {}

  compile(node: Node): Evaluate {
    switch (node.op) {
      case 'value': {
        const value = node.args;
        return () => value;
      }
      case 'id': {
        const name = node.args;
        const typeName = TYPE_NAMES.get(name);
        if (typeName !== undefined) return () => typeName;
        if (!this.variables.has(name)) throw new Unsupported();
        return (ctx) => (ctx as unknown as Record<string, unknown>)[name];
      }
      case '.': {
        const [objectNode, field] = node.args;
        const object = this.compile(objectNode);
        return (ctx) => select(object(ctx), field);
      }
      case '[]': {
        const object = this.compile(node.args[0]);
        const key = this.compile(node.args[1]);
        return (ctx) => index(object(ctx), key(ctx));
      }
      case '&&':
        return this.logical(node.args[0], node.args[1], false);
      case '||':
        return this.logical(node.args[0], node.args[1], true);
      case '!_': {
        const operand = this.compile(node.args);
        return (ctx) => !asBool(operand(ctx));
      }
      case '-_':
        return this.negate(node.args);
      case '?:': {
        const [c, a, b] = node.args.map((n) => this.compile(n as Node)) as [Evaluate, Evaluate, Evaluate];
        return (ctx) => (asBool(c(ctx)) ? a(ctx) : b(ctx));
      }
      case '==':
      case '!=': {
        const [l, r] = node.args as [Node, Node];
        const left = this.compile(l);
        const right = this.compile(r);
        const equal =
          typeOf(l) === 'decimal' && typeOf(r) === 'decimal'
            ? (ctx: CelContext) => left(ctx) === right(ctx)
            : (ctx: CelContext) => celEquals(left(ctx), right(ctx));
        return node.op === '==' ? equal : (ctx) => !equal(ctx);
      }
      case '<':
      case '<=':
      case '>':
      case '>=': {
        const left = this.compile(node.args[0]);
        const right = this.compile(node.args[1]);
        const test = ORDER[node.op];
        return (ctx) => test(compare(left(ctx), right(ctx)));
      }
      case 'in': {
        const element = this.compile(node.args[0]);
        const container = this.compile(node.args[1]);
        return (ctx) => contains(container(ctx), element(ctx));
      }
      case '+':
      case '-':
      case '*':
      case '/':
      case '%':
        return this.arithmetic(node);
      case 'list': {
        const elements = node.args.map((n) => this.compile(n as Node));
        return (ctx) => elements.map((e) => e(ctx));
      }
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

  /** CEL's commutative logic: an error on one side is absorbed when the other side decides the result. */
  private logical(l: Node, r: Node, decides: boolean): Evaluate {
    const left = this.compile(l);
    const right = this.compile(r);
    return (ctx) => {
      let a: unknown;
      try {
        a = asBool(left(ctx));
      } catch (error) {
        if (asBool(right(ctx)) === decides) return decides;
        throw error;
      }
      if (a === decides) return decides;
      return asBool(right(ctx));
    };
  }

  private negate(operandNode: Node): Evaluate {
    const operand = this.compile(operandNode);
    if (typeOf(operandNode) === 'decimal') return (ctx) => -(operand(ctx) as bigint);
    return (ctx) => {
      const value = operand(ctx);
      if (typeof value === 'bigint') return checkedInt(-value);
      if (typeof value === 'number') return -value;
      throw noOverload('-', value);
    };
  }

  private arithmetic(node: Node): Evaluate {
    const [l, r] = node.args as [Node, Node];
    const left = this.compile(l);
    const right = this.compile(r);
    const op = node.op as '+' | '-' | '*' | '/' | '%';
    const resultType = typeOf(node);
    if (resultType === 'decimal') {
      if (op === '+') return (ctx) => (left(ctx) as bigint) + (right(ctx) as bigint);
      if (op === '-') return (ctx) => (left(ctx) as bigint) - (right(ctx) as bigint);
      throw new Unsupported();
    }
    if (resultType === TIMESTAMP) {
      const sign = op === '-' ? -1 : 1;
      if (typeOf(l) === TIMESTAMP)
        return (ctx) => shiftTimestamp(left(ctx) as Date, sign * (right(ctx) as number));
      return (ctx) => shiftTimestamp(right(ctx) as Date, left(ctx) as number);
    }
    if (resultType === DURATION) {
      if (op === '-' && typeOf(l) === TIMESTAMP)
        return (ctx) => (left(ctx) as Date).getTime() - (right(ctx) as Date).getTime();
      if (op === '+') return (ctx) => (left(ctx) as number) + (right(ctx) as number);
      if (op === '-') return (ctx) => (left(ctx) as number) - (right(ctx) as number);
      throw new Unsupported();
    }
    return (ctx) => applyArithmetic(op, left(ctx), right(ctx));
  }

  private call(node: Node): Evaluate {
    const [name, argNodes] = node.args as [string, Node[]];
    if (name === 'has') return this.has(argNodes[0]!);
    if (argNodes.length !== 1) throw new Unsupported();
    const argNode = argNodes[0]!;
    const arg = this.compile(argNode);
    const argType = typeOf(argNode);
    switch (name) {
      case 'decimal':
        if (argNode.op === 'value') {
          const constant = decimalOf(argNode.args);
          return () => constant;
        }
        return argType === 'int'
          ? (ctx) => (arg(ctx) as bigint) * 10_000n
          : (ctx) => {
              const value = arg(ctx);
              return typeof value === 'bigint' ? value * 10_000n : decimalOf(value);
            };
      case 'string':
        if (argType === 'decimal') return (ctx) => fromScaled(arg(ctx) as bigint);
        if (argType === 'string') return arg;
        if (argType === 'int') return (ctx) => String(arg(ctx));
        throw new Unsupported();
      case 'size':
        return (ctx) => size(arg(ctx));
      case 'type':
        if (argType === 'decimal') return () => DECIMAL_TYPE;
        return (ctx) => typeNameOf(arg(ctx));
      case 'int':
        if (argType === 'decimal') throw new Unsupported();
        return (ctx) => toInt(arg(ctx));
      case 'timestamp':
        if (argType !== 'string' && argType !== 'dyn') throw new Unsupported();
        return (ctx) => parseTimestamp(arg(ctx));
      case 'duration':
        if (argNode.op !== 'value') throw new Unsupported();
        {
          const ms = Number(this.env.evaluate(`duration(${JSON.stringify(argNode.args)})`) as number);
          return () => ms;
        }
      default:
        throw new Unsupported();
    }
  }

  private has(selectNode: Node): Evaluate {
    if (selectNode.op !== '.') throw new Unsupported();
    const [objectNode, field] = selectNode.args as [Node, string];
    const object = this.compile(objectNode);
    return (ctx) => has(object(ctx), field);
  }

  private method(node: Node): Evaluate {
    const [name, receiverNode, argNodes] = node.args as [string, Node, Node[]];
    const receiver = this.compile(receiverNode);
    if (name === 'size' && argNodes.length === 0) return (ctx) => size(receiver(ctx));
    if (argNodes.length !== 1) throw new Unsupported();
    const argNode = argNodes[0]!;
    const arg = this.compile(argNode);
    switch (name) {
      case 'matches': {
        if (argNode.op === 'value' && typeof argNode.args === 'string') {
          let regex: RegExp;
          try {
            regex = new RegExp(argNode.args);
          } catch {
            throw new Unsupported(); // cel-js reports the invalid pattern when the rule runs
          }
          return (ctx) => regex.test(asString(receiver(ctx), 'matches'));
        }
        return (ctx) => new RegExp(asString(arg(ctx), 'matches')).test(asString(receiver(ctx), 'matches'));
      }
      case 'startsWith':
        return (ctx) => asString(receiver(ctx), name).startsWith(asString(arg(ctx), name));
      case 'endsWith':
        return (ctx) => asString(receiver(ctx), name).endsWith(asString(arg(ctx), name));
      case 'contains':
        return (ctx) => asString(receiver(ctx), name).includes(asString(arg(ctx), name));
      default:
        throw new Unsupported();
    }
  }
}
