import type { ASTNode } from '@marcbachmann/cel-js';

/** What an expression sees: the variables of RULE_VARIABLES (and MESSAGE_VARIABLES in templates). */
export interface CelContext {
  record: unknown;
  source: string;
  refs: Readonly<Record<string, unknown>>;
  received_at: Date;
  expected?: unknown;
  actual?: unknown;
}

/** Thrown while compiling a node the compiler does not cover: the expression falls back to cel-js. */
export class Unsupported extends Error {}

/** A node of cel-js's checked tree: its checker leaves the static type on every node it typed. */
export type Node = ASTNode & { checkedType?: { name: string } };
export const typeOf = (node: Node): string => node.checkedType?.name ?? 'dyn';
