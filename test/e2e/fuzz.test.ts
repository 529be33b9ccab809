// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// Property-based fuzzing of every way records come in: the gateway's POST /v1/transactions, ingest's JSON and
// ingest's NDJSON, each with thousands of generated requests that mix valid records with hostile ones. Whatever
// comes in, no answer is a 5xx, no service dies, and every record answered "accepted" ends scored or
// quarantined exactly once. The GET routes of the query API get thousands of generated query strings each, valid
// and hostile (timestamps Postgres cannot hold, huge numbers, NUL bytes, forged cursors, unknown and repeated
// parameters): none is a 5xx, and every 400 names the parameter. The seed is printed; FUZZ_SEED=<seed> replays a
// run, FUZZ_REQUESTS sets the size of the first part (5,000 per target), FUZZ_QUERIES of the second (2,000 per list
// route in a normal run; FUZZ_QUERIES=5000 is the query API's acceptance size, about 4.5 minutes).
import * as fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { TRANSACTION_TYPES, transactionKey } from '@vigil/contracts';
import { newTransaction, waitFor } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import { SERVICES, Suite } from '../support/suite.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const REQUESTS_PER_TARGET = Number(process.env.FUZZ_REQUESTS ?? 5000);
const CONCURRENCY = 8;
const QUERIES_PER_ROUTE = Number(process.env.FUZZ_QUERIES ?? 2000);
const QUERY_CONCURRENCY = 16;

type Target = 'gateway' | 'ingest-json' | 'ingest-ndjson';

/** A JSON text fragment put into a record as is: what JSON.stringify cannot produce (depth, duplicate keys). */
interface Raw {
  raw: string;
}
type Hostile = unknown;

interface GeneratedRequest {
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

const requestShape = fc.record({
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

function buildRequest(target: Target, index: number, shape: RequestShape): GeneratedRequest {
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

interface GetRoute {
  path: string;
  parameters: readonly string[];
  /** Generated queries; the list routes get QUERIES_PER_ROUTE. */
  queries: number;
}
const GET_ROUTES: readonly GetRoute[] = [
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
  { path: '/v1/transactions/seed-1', parameters: ['history'], queries: QUERIES_PER_ROUTE / 5 },
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
const queryString = (route: GetRoute): fc.Arbitrary<string> =>
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

interface Outcome {
  target: Target;
  index: number;
  status: number;
  accepted: string[];
  body: string;
}

interface SubmitReply {
  results?: { transaction_id?: string; status: string }[];
}

describe(`fuzzing the ways in (seed ${SEED}, ${REQUESTS_PER_TARGET} requests per target)`, () => {
  let suite: Suite;
  let partnerToken = '';
  let adminToken = '';

  beforeAll(async () => {
    // child processes: a crash or restart of any service is visible, not hidden in this process
    suite = await Suite.start({
      modes: Object.fromEntries(SERVICES.map((name) => [name, 'child-process'])),
      env: { gateway: { GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: '0' } },
    });
    partnerToken = await tokenFor(suite.gatewayUrl, 'partner-a');
    adminToken = await tokenFor(suite.gatewayUrl, 'admin');
    process.stdout.write(`fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})\n`);
  }, 120_000);
  afterAll(async () => {
    await suite?.stop();
  });

  it('answers every request with a non-5xx status and ends every accepted record scored or quarantined once', async () => {
    const targets: Target[] = ['gateway', 'ingest-json', 'ingest-ndjson'];
    const plan = targets.flatMap((target, t) =>
      fc
        .sample(requestShape, { numRuns: REQUESTS_PER_TARGET, seed: SEED + t })
        .map((shape, index) => ({ target, index, request: buildRequest(target, index, shape) })),
    );

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

    const dead = SERVICES.filter((name) => !suite.process(name).alive);
    if (dead.length > 0)
      process.stdout.write(
        `services that died: ${dead.join(', ')}\n${dead.map((name) => suite.process(name).output.slice(-15).join('\n')).join('\n')}\n`,
      );
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    process.stdout.write(
      `answers by status (seed ${SEED}): ${JSON.stringify(Object.fromEntries(byStatus))}\n`,
    );
    const failures = outcomes
      .filter((o) => o.status >= 500)
      .map((o) => `${o.target} #${o.index}: ${o.status} ${o.body.slice(0, 160)}`);
    expect(failures.slice(0, 20)).toEqual([]);

    // the generator must really mix: plenty of records got in, plenty were refused
    const acceptedIds = [...new Set(outcomes.flatMap((o) => o.accepted))];
    expect(acceptedIds.length).toBeGreaterThan(REQUESTS_PER_TARGET / 2);
    expect(outcomes.filter((o) => o.status >= 400).length).toBeGreaterThan(REQUESTS_PER_TARGET / 20);

    // every accepted record reaches a verdict, and a valid one a score; each exactly once
    const count = async (sql: string): Promise<number> =>
      (await suite.db.query<{ n: number }>(sql, [acceptedIds]))[0]!.n;
    await waitFor(
      async () => ({
        judged: await count(
          `SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1::text[])`,
        ),
        unscored: await count(
          `SELECT count(*)::int AS n FROM validator.results r
           WHERE r.transaction_id = ANY($1::text[]) AND r.status = 'valid'
             AND NOT EXISTS (SELECT 1 FROM scorer.scores s WHERE s.transaction_id = r.transaction_id)`,
        ),
      }),
      ({ judged, unscored }) => judged === acceptedIds.length && unscored === 0,
      {
        what: `all ${acceptedIds.length} accepted records judged and the valid ones scored`,
        timeoutMs: 600_000,
      },
    );
    const quarantinedWithoutRecord = await count(
      `SELECT count(*)::int AS n FROM validator.results r
       WHERE r.transaction_id = ANY($1::text[]) AND r.status = 'quarantined'
         AND NOT EXISTS (SELECT 1 FROM validator.quarantine q WHERE q.transaction_id = r.transaction_id)`,
    );
    expect(quarantinedWithoutRecord).toBe(0);
    const scoredAndQuarantined = await count(
      `SELECT count(*)::int AS n FROM scorer.scores s JOIN validator.results r USING (transaction_id)
       WHERE s.transaction_id = ANY($1::text[]) AND r.status = 'quarantined'`,
    );
    expect(scoredAndQuarantined).toBe(0);
    // nothing else trickles in later
    await sleep(1_000);
    expect(
      await count(`SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1::text[])`),
    ).toBe(acceptedIds.length);

    // no service died or restarted on the way
    for (const name of SERVICES) expect(suite.process(name).alive).toBe(true);
    const fatal = suite.logs().filter((line) => /"level":(60|"fatal")/.test(line));
    expect(fatal).toEqual([]);
  }, 1_800_000);

  it('answers every generated query of the GET routes without a 5xx, and names the parameter of every 400', async () => {
    const plan = GET_ROUTES.flatMap((route, r) =>
      fc
        .sample(queryString(route), { numRuns: route.queries, seed: SEED + 100 + r })
        .map((query, index) => ({ route, index, query })),
    );
    const answers: { path: string; query: string; status: number; named: boolean; body: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < plan.length) {
        const { route, index, query } = plan[next++]!;
        // partners read their own transactions; the admin reads everything (and the staff-only routes)
        const token =
          route.path.startsWith('/v1/transactions') && index % 3 === 0 ? partnerToken : adminToken;
        const response = await fetch(`${suite.gatewayUrl}${route.path}?${query}`, {
          headers: { authorization: `Bearer ${token}` },
        }).catch(
          (error: unknown) =>
            new Response(`connection failed: ${String((error as Error).cause ?? error)}`, { status: 599 }),
        );
        // a body cut short (a stream that failed after its head) counts as a failure, like a 5xx
        const body = await response.text().catch((error: unknown) => `body cut short: ${String(error)}`);
        const status = body.startsWith('body cut short') ? 598 : response.status;
        const named =
          status === 400 &&
          (JSON.parse(body) as { errors?: { parameter?: string }[] }).errors?.[0]?.parameter;
        answers.push({ path: route.path, query, status, named: Boolean(named), body: body.slice(0, 400) });
      }
    };
    await Promise.all(Array.from({ length: QUERY_CONCURRENCY }, worker));

    const byRoute: Record<string, Record<number, number>> = {};
    for (const { path, status } of answers) {
      const counts = (byRoute[path] ??= {});
      counts[status] = (counts[status] ?? 0) + 1;
    }
    process.stdout.write(`GET answers by route and status (seed ${SEED}): ${JSON.stringify(byRoute)}\n`);
    const failures = answers
      .filter((a) => a.status >= 500)
      .map((a) => `${a.path}?${a.query}: ${a.status} ${a.body.slice(0, 200)}`);
    expect(failures.slice(0, 20)).toEqual([]);
    // a refusal names the parameter it refuses
    const unnamed = answers
      .filter((a) => a.status === 400 && !a.named)
      .map((a) => `${a.path}?${a.query}: ${a.body.slice(0, 200)}`);
    expect(unnamed.slice(0, 20)).toEqual([]);
    // the generator really mixes: each list route both answers and refuses
    for (const route of GET_ROUTES.filter((r) => r.queries === QUERIES_PER_ROUTE)) {
      expect(byRoute[route.path]?.[200] ?? 0).toBeGreaterThan(route.queries / 20);
      expect(byRoute[route.path]?.[400] ?? 0).toBeGreaterThan(route.queries / 20);
    }
    for (const name of SERVICES) expect(suite.process(name).alive).toBe(true);
  }, 900_000);
});
