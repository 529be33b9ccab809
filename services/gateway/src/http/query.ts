// Checks for query strings and keyset cursors shared by the list routes; each failure names its parameter.
import { REGION_CODES } from '@vigil/contracts';
import { InvalidParameterException, InvalidParametersException } from './problem.js';

export type RawQuery = Record<string, unknown>;

/** Rejects parameters a route does not know, so a typo is an error rather than a silently ignored filter. */
export function onlyKnownParameters(query: unknown, known: readonly string[]): RawQuery {
  const raw = (typeof query === 'object' && query !== null ? query : {}) as RawQuery;
  const unknown = Object.keys(raw).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    const allowed = `allowed: ${known.join(', ')}`;
    throw new InvalidParametersException(
      `unknown query parameter ${unknown.join(', ')}; ${allowed}`,
      unknown.map((parameter) => ({ parameter, detail: `unknown query parameter; ${allowed}` })),
    );
  }
  return raw;
}

/** The single string value of a parameter, or undefined when absent or empty. */
export function single(query: RawQuery, name: string): string | undefined {
  const value = query[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string')
    throw new InvalidParameterException(name, `${name} must be given at most once`);
  return value;
}

export function oneOf<T extends string>(query: RawQuery, name: string, allowed: readonly T[]): T | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidParameterException(name, `${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/**
 * `?region=` on every route that takes one: an ISO 3166-1 alpha-2 code in any case, answered in upper case.
 * `extra` admits codes that are not regions but name a bucket of rows (the data-quality windows' XX).
 */
export function regionOf(query: RawQuery, extra: readonly string[] = []): string | undefined {
  const region = single(query, 'region')?.toUpperCase();
  if (region === undefined) return undefined;
  if (!REGION_CODES.includes(region) && !extra.includes(region)) {
    const also = extra.length > 0 ? ` (or ${extra.join(', ')})` : '';
    throw new InvalidParameterException(
      'region',
      `region must be an ISO 3166-1 alpha-2 code${also}, e.g. NG`,
    );
  }
  return region;
}

/** A whole number parameter within [min, max]; `fallback` when absent. */
export function integerOf(query: RawQuery, name: string, min: number, max: number, fallback: number): number {
  const value = single(query, name);
  if (value === undefined) return fallback;
  // digits only, and no more than max has: '1e3', '0x10' and '12.0' are refused
  const number = new RegExp(`^[0-9]{1,${String(max).length}}$`).test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max))
    throw new InvalidParameterException(name, `${name} must be an integer from ${min} to ${max}`);
  return number;
}

export const limitOf = (query: RawQuery, max: number, fallback: number): number =>
  integerOf(query, 'limit', 1, max, fallback);

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export function timestampOf(query: RawQuery, name: string): string | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  if (!RFC3339.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidParameterException(
      name,
      `${name} must be an RFC 3339 timestamp with a time zone, e.g. 2025-01-31T00:00:00Z`,
    );
  }
  return value;
}

/**
 * A keyset cursor: the sort key of the last row of a page, opaque to clients (base64url of a JSON pair).
 * Timestamps travel as Postgres text with microseconds, since a JavaScript Date would round them to
 * milliseconds and skip rows that share the millisecond.
 */
export const encodeCursor = (at: string, id: string): string =>
  Buffer.from(JSON.stringify([at, id])).toString('base64url');

export function cursorOf(
  query: RawQuery,
  isId: (id: string) => boolean,
): { at: string; id: string } | undefined {
  const value = single(query, 'cursor');
  if (value === undefined) return undefined;
  const invalid = () =>
    new InvalidParameterException(
      'cursor',
      'cursor is not one this API returned; pass next_cursor from the previous page as is',
    );
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid();
  const [at, id] = decoded as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !RFC3339.test(at) || !isId(id)) throw invalid();
  return { at, id };
}
