// The generators of the fuzz tests (test/e2e/fuzz.test.ts, test/e2e/fuzz-queries.test.ts) and the client that
// sends what they generate: requests that mix valid records with hostile ones for every way records come in, and
// query strings, valid and hostile, for every GET route of the query API. FUZZ_SEED=<seed> replays a run (the seed
// is printed), FUZZ_REQUESTS sets the requests per way in (5,000), FUZZ_QUERIES the queries per list route (2,000
// in a normal run; FUZZ_QUERIES=5000 is the query API's acceptance size).
import * as fc from 'fast-check';
import { TRANSACTION_TYPES, transactionKey } from '@vigil/contracts';
import { newTransaction } from '@vigil/testing';
import { SERVICES, Suite } from './suite.js';

export const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
export const REQUESTS_PER_TARGET = Number(process.env.FUZZ_REQUESTS ?? 5000);
export const CONCURRENCY = 8;
export const QUERIES_PER_ROUTE = Number(process.env.FUZZ_QUERIES ?? 2000);
export const QUERY_CONCURRENCY = 16;

export type Target = 'gateway' | 'ingest-json' | 'ingest-ndjson';

/** A JSON text fragment put into a record as is: what JSON.stringify cannot produce (depth, duplicate keys). */
interface Raw {
  raw: string;
}
type Hostile = unknown;

export interface GeneratedRequest {
  contentType: string | undefined;
  body: string;
}

// ---- values -------------------------------------------------------------------------------------------

/** A Luhn-valid card number of 13-19 digits, written with arbitrary separators and glued text around it. */
const luhnDigit = (digits: string): string => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
};
const cardNumber = fc
  .tuple(
    fc.integer({ min: 13, max: 19 }),
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
    fc.constantFrom('', ' ', '-', '.', '_', '/', ' - '),
    fc.constantFrom('', 'ref', 'x_', 'card:'),
    fc.constantFrom('', '_x', 'z', ' end'),
  )
  .map(([length, digits, separator, before, after]) => {
    const body = ['4', ...digits.slice(0, length - 2)].join('');
    const pan = body + luhnDigit(body);
    return before + pan.replace(/(\d{4})(?=\d)/g, `$1${separator}`) + after;
  });

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\ud800',
      'x\udfff',
      '\udc00\ud800',
      '',
      ' ',
      '2026-01-01T00:00:00-23:59',
      '2026-01-01T00:00:00+18:01',
      '0000-01-01T00:00:00Z',
      '10000-01-01T00:00:00Z',
      '2026-02-30T00:00:00Z',
      'NaN',
      '-0',
      '1e400',
      '9'.repeat(400),
      '-1.00',
      '0.000001',
      'ng',
      'XX',
      '<script>alert(1)</script>',
      "'; DROP TABLE ingest.transactions; --",
      '{{7*7}}',
      '../../etc/passwd',
    ),
  },
  { weight: 2, arbitrary: cardNumber },
  { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 300_000 }).map((n) => 'x'.repeat(n)) },
);

const deep = (depth: number, open: string, close: string): Raw => ({
  raw: open.repeat(depth) + close.repeat(depth),
});

const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 6, arbitrary: hostileString },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double(),
      fc.constant(Number.MAX_SAFE_INTEGER + 2),
      fc.constant(1e308),
      fc.constant([]),
      fc.constant({}),
    ),
  },
  { weight: 2, arbitrary: fc.array(hostileString, { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.dictionary(hostileString, hostileString, { maxKeys: 4 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 50, max: 20_000 }), fc.boolean())
      .map(([depth, arrays]) => (arrays ? deep(depth, '[', ']') : deep(depth, '{"a":', '}'))),
  },
  {
    weight: 1,
    arbitrary: fc.constant<Raw>({ raw: '{"__proto__":{"polluted":true},"constructor":{"prototype":1}}' }),
  },
);

const FIELDS = [
  'transaction_id',
  'type',
  'amount',
  'currency',
  'timestamp',
  'region',
  'channel',
  'source',
  'partner_id',
  'fee',
  'origin',
  'origin.account',
  'origin.balance_before',
  'origin.balance_after',
  'destination',
  'destination.account',
  'card',
  'card.number',
  'merchant',
  'merchant.mcc',
  'labels',
  'nameOrig',
  'step',
];

// ---- records ------------------------------------------------------------------------------------------

/** How one record is changed, if at all. */
type Mutation =
  | { kind: 'none' }
  | { kind: 'set'; field: string; value: Hostile }
  | { kind: 'delete'; field: string }
  | { kind: 'extra-key'; key: string; value: Hostile }
  | { kind: 'duplicate-key'; field: string; value: Hostile }
  | { kind: 'proto-key' }
  | { kind: 'not-an-object'; value: Hostile }
  | { kind: 'paysim' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 10, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      field: fc.constantFrom(...FIELDS),
      value: hostileValue,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), field: fc.constantFrom(...FIELDS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('extra-key' as const),
      key: hostileString,
      value: hostileValue,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('duplicate-key' as const),
      field: fc.constantFrom('transaction_id', 'amount', 'region', 'currency'),
      value: hostileValue,
    }),
  },
  { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'proto-key' }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('not-an-object' as const), value: hostileValue }) },
  { weight: 2, arbitrary: fc.constant<Mutation>({ kind: 'paysim' }) },
);

/** JSON text of a value in which Raw fragments are spliced in as they are. */
function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && 'raw' in v && typeof (v as Raw).raw === 'string') {
      raws.push((v as Raw).raw);
      return `\u0001raw${raws.length - 1}\u0001`;
    }
    return v;
  });
  return text.replace(/"\\u0001raw(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

function setPath(record: Record<string, unknown>, path: string, value: unknown): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) {
    record[head] = value;
    return;
  }
  const child = record[head];
  const container = child !== null && typeof child === 'object' && !Array.isArray(child) ? child : {};
  (container as Record<string, unknown>)[tail] = value;
  record[head] = container;
}

function deletePath(record: Record<string, unknown>, path: string): void {
  const [head, tail] = path.split('.') as [string, string | undefined];
  if (tail === undefined) delete record[head];
  else if (record[head] !== null && typeof record[head] === 'object')
    delete (record[head] as Record<string, unknown>)[tail];
}

/** One record's JSON text, each with its own transaction id so that outcomes can be traced. */
function recordText(id: string, change: Mutation): string {
  const record: Record<string, unknown> = { ...newTransaction({ transaction_id: id }) };
  switch (change.kind) {
    case 'none':
      return toJson(record);
    case 'set':
      setPath(record, change.field, change.value);
      return toJson(record);
    case 'delete':
      deletePath(record, change.field);
      return toJson(record);
    case 'extra-key':
      return toJson({ ...record, [change.key]: change.value });
    case 'duplicate-key': {
      const text = toJson(record);
      return `{${JSON.stringify(change.field)}:${toJson(change.value)},${text.slice(1)}`;
    }
    case 'proto-key':
      return `{"__proto__":{"isAdmin":true,"amount":"1.00"},${toJson(record).slice(1)}`;
    case 'not-an-object':
      return toJson(change.value);
    case 'paysim':
      return toJson({
        transaction_id: id,
        step: 1,
        type: 'TRANSFER',
        amount: 1864.28,
        nameOrig: 'C1666544295',
        oldbalanceOrg: 21249,
        newbalanceOrig: 19384.72,
        nameDest: 'M1979787155',
        oldbalanceDest: 0,
        newbalanceDest: 0,
        isFraud: 0,
        isFlaggedFraud: 0,
      });
  }
}

// ---- requests -----------------------------------------------------------------------------------------

export const requestShape = fc.record({
  mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }),
  asArray: fc.boolean(),
  contentType: fc.oneof(
    { weight: 12, arbitrary: fc.constant<string | undefined>(undefined) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<string | undefined>(
        'text/plain',
        'application/xml',
        'application/json; charset=latin1',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        '',
      ),
    },
  ),
  breakage: fc.oneof(
    { weight: 20, arbitrary: fc.constant('none' as const) },
    { weight: 1, arbitrary: fc.constantFrom('truncate' as const, 'garbage-line' as const, 'empty' as const) },
  ),
});

type RequestShape = typeof requestShape extends fc.Arbitrary<infer T> ? T : never;

export function buildRequest(target: Target, index: number, shape: RequestShape): GeneratedRequest {
  const ids = shape.mutations.map((_, j) => `fz-${target}-s${SEED.toString(36)}-r${index}-n${j}`);
  const texts = shape.mutations.map((m, j) => recordText(ids[j]!, m));
  const ndjson = target === 'ingest-ndjson';
  let body = ndjson
    ? texts.join('\n')
    : shape.asArray || texts.length > 1
      ? `[${texts.join(',')}]`
      : texts[0]!;
  if (shape.breakage === 'truncate') body = body.slice(0, Math.max(1, Math.floor(body.length / 2)));
  if (shape.breakage === 'garbage-line') body = ndjson ? `${body}\n{not json\n` : `${body}}`;
  if (shape.breakage === 'empty') body = '';
  const defaultType = ndjson ? 'application/x-ndjson' : 'application/json';
  return { contentType: shape.contentType ?? defaultType, body };
}

// ---- query strings of the GET routes ---------------------------------------------------------------------

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** RFC 3339 texts around and beyond what Postgres and the calendar hold: year 0, 9999, offsets to ±23:59. */
const timestampText = fc
  .tuple(
    fc.integer({ min: 0, max: 10_000 }),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
    fc.constantFrom('', '.5', '.123456', '.123456789', '.1234567890'),
    fc.oneof(
      fc.constantFrom('Z', 'z', ''),
      fc
        .tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }))
        .map(([sign, h, m]) => `${sign}${pad(h, 2)}:${pad(m, 2)}`),
    ),
    fc.constantFrom('T', 't', ' '),
  )
  .map(([y, mo, d, h, mi, sec, frac, zone, t]) => {
    const year = y === 10_000 ? '10000' : pad(y, 4);
    return `${year}-${pad(mo, 2)}-${pad(d, 2)}${t}${pad(h, 2)}:${pad(mi, 2)}:${pad(sec, 2)}${frac}${zone}`;
  });
const plausibleTimestamp = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2030-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());
const anyTimestamp = fc.oneof(plausibleTimestamp, timestampText);

const numberText = fc.oneof(
  fc.integer({ min: -10, max: 1_000 }).map(String),
  fc.constantFrom('0', '1', '0.5', '0.9999', '1.0000001', '-0', '1e3', '0x10', '12.0', '', ' 5', '5 ', 'NaN'),
  fc.constantFrom('9'.repeat(20), '9'.repeat(400), '1e400', String(2 ** 53 + 1), '-9223372036854775809'),
  fc.double().map(String),
);

const cursorText = fc.oneof(
  fc
    .tuple(anyTimestamp, fc.oneof(fc.constantFrom('seed-1', 'partner-a~t-1', 'a\u0000b', ''), fc.string()))
    .map(([at, id]) => Buffer.from(JSON.stringify([at, id])).toString('base64url')),
  fc.uuid().map((id) => Buffer.from(JSON.stringify(['2026-01-01T00:00:00Z', id])).toString('base64url')),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('bnVsbA', 'W10', 'WzEsMl0', '%%%', 'W251bGwsbnVsbF0'),
);

/** The values a parameter of each name is given: plausible ones, the edges of each type, and hostile text. */
const valueFor: Record<string, fc.Arbitrary<string>> = {
  status: fc.constantFrom(
    'accepted',
    'valid',
    'quarantined',
    'scored',
    'open',
    'acknowledged',
    'resolved',
    'SCORED',
  ),
  severity: fc.constantFrom('critical', 'warning', 'info', 'fatal'),
  region: fc.constantFrom('NG', 'ke', 'GH', 'XX', 'ZZ', 'N', 'NGA'),
  type: fc.constantFrom(...TRANSACTION_TYPES, 'transfer', 'WIRE'),
  min_score: numberText,
  from: anyTimestamp,
  to: anyTimestamp,
  limit: numberText,
  budget: numberText,
  history: numberText,
  horizon: numberText,
  grace_seconds: numberText,
  cursor: cursorText,
  source: fc.constantFrom('api', 'paysim', 'generator', 'NDJSON'),
  rule: fc.constantFrom('region.currency', 'amount.range', '1bad', 'a'.repeat(70)),
  series_id: fc.constantFrom('NG:TRANSFER', 'KE', 'none'),
};
const queryHostile = hostileString.filter((value) => value.length < 2_000);
const parameterValue = (name: string): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: Object.hasOwn(valueFor, name) ? valueFor[name]! : queryHostile },
    { weight: 1, arbitrary: queryHostile },
  );

export interface GetRoute {
  path: string;
  parameters: readonly string[];
  /** Generated queries; the list routes get QUERIES_PER_ROUTE. */
  queries: number;
}
export const GET_ROUTES: readonly GetRoute[] = [
  {
    path: '/v1/transactions',
    parameters: ['status', 'region', 'min_score', 'type', 'from', 'to', 'limit', 'cursor'],
    queries: QUERIES_PER_ROUTE,
  },
  {
    path: '/v1/transactions/export',
    parameters: ['status', 'region', 'min_score', 'type', 'from', 'to'],
    queries: QUERIES_PER_ROUTE,
  },
  {
    path: '/v1/quarantine',
    parameters: ['source', 'region', 'rule', 'from', 'to', 'limit', 'cursor'],
    queries: QUERIES_PER_ROUTE,
  },
  { path: '/v1/alerts', parameters: ['status', 'severity', 'limit', 'cursor'], queries: QUERIES_PER_ROUTE },
  {
    path: '/v1/data-quality',
    parameters: ['source', 'region', 'from', 'to', 'limit'],
    queries: QUERIES_PER_ROUTE,
  },
  { path: '/v1/data-quality/drift', parameters: ['source', 'limit'], queries: QUERIES_PER_ROUTE },
  { path: '/v1/transactions/seed-4', parameters: ['history'], queries: QUERIES_PER_ROUTE / 5 },
  { path: '/v1/forecasts', parameters: ['series_id', 'history', 'horizon'], queries: QUERIES_PER_ROUTE / 5 },
  {
    path: '/v1/admin/reconciliation',
    parameters: ['from', 'to', 'grace_seconds', 'limit'],
    queries: QUERIES_PER_ROUTE / 5,
  },
  { path: '/v1/models/comparison', parameters: ['from', 'to', 'budget'], queries: QUERIES_PER_ROUTE / 5 },
  { path: '/v1/summary', parameters: ['region'], queries: QUERIES_PER_ROUTE / 5 },
];

/** A query string: a few of the route's parameters (now and then an unknown or a repeated one), URL-encoded. */
export const queryString = (route: GetRoute): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.array(
        fc.oneof(
          { weight: 12, arbitrary: fc.constantFrom(...route.parameters) },
          { weight: 1, arbitrary: fc.constantFrom('q', 'LIMIT', 'from[]', '__proto__', 'a\u0000') },
        ),
        { maxLength: 5 },
      ),
      fc.constantFrom('', '', '', '&%zz', '&limit=1&limit=2', '&%00=1', '&from=%E0%A4%A'),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    )
    .chain(([names, tail, salt]) =>
      fc
        .tuple(...names.map((name) => parameterValue(name).map((value) => [name, value] as const)))
        .map((pairs) => {
          const search = new URLSearchParams(
            pairs.map(([name, value]): [string, string] => [name, value]),
          ).toString();
          return `${search}${tail}${salt % 50 === 0 ? '&cursor=' : ''}`;
        }),
    );

// ---- the run ------------------------------------------------------------------------------------------

// ---- the client ---------------------------------------------------------------------------------------

/** The suite the fuzz tests run against: every service a child process, so a crash or restart is visible. */
export function startFuzzSuite(): Promise<Suite> {
  return Suite.start({
    modes: Object.fromEntries(SERVICES.map((name) => [name, 'child-process'])),
    env: { gateway: { GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: '0' } },
  });
}

export interface GeneratedSubmission {
  target: Target;
  index: number;
  request: GeneratedRequest;
}

/** Generated requests to each way in: `perTarget` per target, from the seed (the same seed, the same requests). */
export function submissionPlan(perTarget: number): GeneratedSubmission[] {
  const targets: Target[] = ['gateway', 'ingest-json', 'ingest-ndjson'];
  return targets.flatMap((target, t) =>
    fc
      .sample(requestShape, { numRuns: perTarget, seed: SEED + t })
      .map((shape, index) => ({ target, index, request: buildRequest(target, index, shape) })),
  );
}

/** What one generated request got: its status, the stored keys of the records it had accepted, its body's head. */
export interface Outcome {
  target: Target;
  index: number;
  status: number;
  accepted: string[];
  body: string;
}

interface SubmitReply {
  results?: { transaction_id?: string; status: string }[];
}

/**
 * Sends the plan, CONCURRENCY requests at a time, the gateway's with a partner's token. A connection that fails
 * is an outcome with status 599, so it counts against the run like a 5xx.
 */
export async function submitAll(
  suite: Suite,
  plan: readonly GeneratedSubmission[],
  partnerToken: string,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const { target, index, request } = plan[next++]!;
      const url =
        target === 'gateway' ? `${suite.gatewayUrl}/v1/transactions` : `${suite.ingestUrl}/v1/transactions`;
      const headers: Record<string, string> = {};
      if (request.contentType !== undefined) headers['content-type'] = request.contentType;
      if (target === 'gateway') headers.authorization = `Bearer ${partnerToken}`;
      const response = await fetch(url, { method: 'POST', headers, body: request.body }).catch(
        (error: unknown) =>
          new Response(`connection failed: ${String((error as Error).cause ?? error)}`, { status: 599 }),
      );
      const text = await response.text();
      let accepted: string[] = [];
      if (response.status === 202) {
        const reply = JSON.parse(text) as SubmitReply;
        // a partner's record is stored under its partner-scoped key; ingest's own callers have no partner
        accepted = (reply.results ?? [])
          .filter((r) => r.status === 'accepted' && r.transaction_id)
          .map((r) =>
            target === 'gateway' ? transactionKey('partner-a', r.transaction_id!) : r.transaction_id!,
          );
      }
      outcomes.push({ target, index, status: response.status, accepted, body: text.slice(0, 300) });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return outcomes;
}

/** The distinct stored keys of every record the outcomes accepted. */
export const acceptedKeys = (outcomes: readonly Outcome[]): string[] => [
  ...new Set(outcomes.flatMap((o) => o.accepted)),
];
