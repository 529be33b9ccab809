// What a submitted record must be for every later stage (JSON over NATS, jsonb and timestamptz in Postgres) to carry it.
import { redactCardNumbers } from './card-numbers.js';
import type { Reason } from './schemas.js';

/** A record's JSON text (after card numbers are tokenised) at most this many bytes: far below NATS max_payload (1 MiB). */
export const MAX_RECORD_BYTES = 256 * 1024;
/** Objects and arrays nested at most this deep (the record itself is depth 1). */
export const MAX_RECORD_DEPTH = 32;
/** A string value at most this many UTF-16 code units. */
export const MAX_STRING_LENGTH = 16 * 1024;
/** An object key at most this many UTF-16 code units. */
export const MAX_KEY_LENGTH = 256;
/** Postgres refuses a time-zone displacement from 16:00 on (`time zone displacement out of range`). */
export const MAX_UTC_OFFSET_MINUTES = 15 * 60 + 59;

export const RECORD_REFUSAL_CODES = {
  tooLarge: 'ingest.record_too_large',
  tooDeep: 'ingest.too_deep',
  nulCharacter: 'ingest.nul_character',
  loneSurrogate: 'ingest.lone_surrogate',
  stringTooLong: 'ingest.string_too_long',
  keyTooLong: 'ingest.key_too_long',
  forbiddenKey: 'ingest.forbidden_key',
  timestampRange: 'ingest.timestamp_range',
  cardNumberInIdentifier: 'ingest.card_number_in_identifier',
} as const;
export type RecordRefusalCode = (typeof RECORD_REFUSAL_CODES)[keyof typeof RECORD_REFUSAL_CODES];

/** Why a record cannot go on, with the field (a JSON pointer into the record) and the HTTP status it stands for. */
export interface RecordRefusal {
  status: 400 | 413;
  code: RecordRefusalCode;
  field: string;
  message: string;
}

/** A refusal as the per-record reason of a submission answer. */
export const refusalReason = (refusal: RecordRefusal): Reason => ({
  code: refusal.code,
  field: refusal.field,
  message: refusal.message,
  severity: 'error',
});

const utf8 = new TextEncoder();
const REFUSAL_CODES: ReadonlySet<string> = new Set(Object.values(RECORD_REFUSAL_CODES));
/** The HTTP status a refusal reason stands for when a request carried a single record; undefined for other reasons. */
export const refusalStatusOf = (code: string): 400 | 413 | undefined =>
  code === RECORD_REFUSAL_CODES.tooLarge ? 413 : REFUSAL_CODES.has(code) ? 400 : undefined;

/** RFC 6901 pointer; a card number in a key is never echoed. */
export const jsonPointer = (path: readonly (string | number)[]): string =>
  path.map((part) => '/' + redactCardNumbers(String(part)).replace(/~/g, '~0').replace(/\//g, '~1')).join('');

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/** For a string written as an RFC 3339 date-time: why Postgres could not store it, or undefined. */
export function timestampProblem(text: string): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (year < 1) return 'year must be 0001 to 9999';
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return 'is not a calendar date';
  if (hour > 23 || minute > 59 || second > 60) return 'is not a time of day';
  if (m[7]) {
    const offsetHours = Number(m[8]);
    const offsetMinutes = Number(m[9]);
    if (offsetMinutes > 59 || offsetHours * 60 + offsetMinutes > MAX_UTC_OFFSET_MINUTES)
      return 'UTC offset must be within ±15:59';
  }
  return undefined;
}

/** The first problem of a string (value or key) that no later stage could carry. */
function textProblem(text: string): { code: RecordRefusalCode; what: string } | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0)
      return { code: RECORD_REFUSAL_CODES.nulCharacter, what: 'contains a NUL character (\\u0000)' };
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return { code: RECORD_REFUSAL_CODES.loneSurrogate, what: 'contains an unpaired UTF-16 surrogate' };
    }
    if (c >= 0xdc00 && c <= 0xdfff)
      return { code: RECORD_REFUSAL_CODES.loneSurrogate, what: 'contains an unpaired UTF-16 surrogate' };
  }
  return undefined;
}

const refusal = (code: RecordRefusalCode, path: (string | number)[], message: string): RecordRefusal => {
  const field = jsonPointer(path);
  return {
    status: code === RECORD_REFUSAL_CODES.tooLarge ? 413 : 400,
    code,
    field,
    message: `${field || 'the record'} ${message}`,
  };
};

/**
 * Checks one record as received, before anything else reads it: walks it without recursion (a record
 * nested 10,000 deep must not overflow the stack), so each later step may recurse and serialise safely.
 * Returns the first problem found, or undefined when the record may go on.
 */
export function inspectRecord(record: unknown): RecordRefusal | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: record, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = checkString(value, path);
      if (problem) return problem;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (path.length + 1 > MAX_RECORD_DEPTH) {
      return refusal(
        RECORD_REFUSAL_CODES.tooDeep,
        path,
        `nests objects or arrays deeper than ${MAX_RECORD_DEPTH} levels`,
      );
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(value);
    for (let k = keys.length - 1; k >= 0; k--) {
      const key = keys[k]!;
      const problem = checkKey(key, path);
      if (problem) return problem;
      stack.push({ value: (value as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
  if (record !== null && typeof record === 'object') {
    // the depth is bounded now, so JSON.stringify cannot overflow
    const bytes = utf8.encode(JSON.stringify(record)).length;
    if (bytes > MAX_RECORD_BYTES) return tooLarge(bytes);
  }
  return undefined;
}

export const tooLarge = (bytes: number): RecordRefusal =>
  refusal(
    RECORD_REFUSAL_CODES.tooLarge,
    [],
    `is ${bytes} bytes of JSON; a record may be at most ${MAX_RECORD_BYTES} bytes`,
  );

function checkString(value: string, path: (string | number)[]): RecordRefusal | undefined {
  if (value.length > MAX_STRING_LENGTH) {
    return refusal(
      RECORD_REFUSAL_CODES.stringTooLong,
      path,
      `is ${value.length} characters long; a string may be at most ${MAX_STRING_LENGTH}`,
    );
  }
  const problem = textProblem(value);
  if (problem) return refusal(problem.code, path, problem.what);
  const timestamp = timestampProblem(value);
  if (timestamp)
    return refusal(
      RECORD_REFUSAL_CODES.timestampRange,
      path,
      `is a timestamp Postgres cannot store: ${timestamp}`,
    );
  return undefined;
}

/** A bad key is named by its object and position: the key itself may be what cannot be echoed. */
function checkKey(key: string, path: (string | number)[]): RecordRefusal | undefined {
  if (key === '__proto__')
    return refusal(RECORD_REFUSAL_CODES.forbiddenKey, [...path, key], 'is a key that is not accepted');
  if (key.length > MAX_KEY_LENGTH) {
    return refusal(
      RECORD_REFUSAL_CODES.keyTooLong,
      path,
      `has a key of ${key.length} characters; a key may be at most ${MAX_KEY_LENGTH}`,
    );
  }
  const problem = textProblem(key);
  if (problem) return refusal(problem.code, path, `has a key that ${problem.what}`);
  return undefined;
}
