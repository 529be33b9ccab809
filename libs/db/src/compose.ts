// A statement assembled from fixed, reviewed fragments, one per filter a request gives: the planner sees only the
// conditions that apply (a plan per filter set, each able to use its index), and no value is ever spliced into
// the text. Each fragment numbers its own parameters from $1; composition renumbers them after the ones before.
import { createHash } from 'node:crypto';
import type { NamedQuery } from './database.js';

/** One fixed piece of SQL text and the values of its own $1..$n, in order. */
export interface Fragment {
  /** Names the piece in the composed statement's name, e.g. `partner` → `gateway.list[partner,from]`. */
  key: string;
  text: string;
  values: readonly unknown[];
}

export const fragment = (key: string, text: string, ...values: unknown[]): Fragment => ({
  key,
  text,
  values,
});

/** Fixed text (no parameters), a fragment, or conditions joined with AND (`TRUE` when there are none). */
export type Piece = string | Fragment | readonly Fragment[];

export interface ComposedQuery {
  query: NamedQuery;
  values: unknown[];
}

const PARAMETER = /\$(\d+)/g;
const statements = new Map<string, NamedQuery>();

/**
 * The pieces in order. The statement's name lists the fragments' keys, so traces and EXPLAIN tests tell the
 * variants apart; the same key set always yields the same text (cached per name), since fragments are fixed,
 * and each is prepared once per connection.
 */
export function composeQuery(name: string, pieces: readonly Piece[]): ComposedQuery {
  const values: unknown[] = [];
  const keys: string[] = [];
  const parts: string[] = [];
  const render = (piece: Fragment): string => {
    const offset = values.length;
    keys.push(piece.key);
    values.push(...piece.values);
    return piece.text.replace(PARAMETER, (_, n: string) => `$${offset + Number(n)}`);
  };
  for (const piece of pieces) {
    if (typeof piece === 'string') parts.push(piece);
    else if (isFragment(piece)) parts.push(render(piece));
    else parts.push(piece.length === 0 ? 'TRUE' : piece.map(render).join('\n      AND '));
  }
  const fullName = `${name}[${keys.join(',')}]`;
  let query = statements.get(fullName);
  if (query === undefined) {
    const text = parts.join('\n    ');
    // prepared under a digest of its text: the readable name may pass Postgres's 63-character limit
    const prepareAs = `c_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    query = { name: fullName, text, prepareAs };
    statements.set(fullName, query);
  }
  return { query, values };
}

const isFragment = (piece: Fragment | readonly Fragment[]): piece is Fragment => !Array.isArray(piece);
