// Checks for query strings and keyset cursors shared by the list routes; each failure names its parameter.
import { REGION_CODES, timestampProblem } from '@vigil/contracts';
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

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 timestamp PostgreSQL stores as written: what a record's timestamps must be too (timestampProblem:
 * a real calendar date from year 1 to 9999, an offset within ±15:59), with fractions to nanoseconds and no leap
 * second (a query bound is compared, and Date.parse, like most clients, has none).
 */
export function isStorableTimestamp(value: string): boolean {
  return (
    RFC3339.test(value) &&
    timestampProblem(value) === undefined &&
    !Number.isNaN(Date.parse(value.replace(' ', 'T')))
  );
}

/** The timestamp named `name`, with a `T` between date and time (RFC 3339 allows a space, which Date.parse refuses). */
export function timestampOf(query: RawQuery, name: string): string | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  if (!isStorableTimestamp(value)) {
    throw new InvalidParameterException(
      name,
      `${name} must be an RFC 3339 timestamp with a time zone, from year 0001 to 9999, e.g. 2025-01-31T00:00:00Z`,
    );
  }
  return value.replace(' ', 'T');
}

/** `from` must come before `to` when both are given; the error names `from`. */
export function checkRange(from: string | undefined, to: string | undefined): void {
  if (from !== undefined && to !== undefined && Date.parse(from) >= Date.parse(to))
    throw new InvalidParameterException('from', 'from must be earlier than to');
}

/**
 * A free-text parameter (a source name, a series id): at most `maxLength` characters, none of them a control
 * character (a NUL byte cannot be stored in Postgres text) or half of a surrogate pair (not valid UTF-8).
 */
export function textOf(query: RawQuery, name: string, maxLength: number): string | undefined {
  const value = single(query, name);
  if (value === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (value.length > maxLength || /[\u0000-\u001f\u007f]/.test(value) || !value.isWellFormed())
    throw new InvalidParameterException(name, `${name} must be at most ${maxLength} printable characters`);
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
  if (typeof at !== 'string' || typeof id !== 'string' || !isStorableTimestamp(at) || !isId(id))
    throw invalid();
  return { at, id };
}
