// Property-based fuzzing of every way records come in: the gateway's POST /v1/transactions, ingest's JSON and
// ingest's NDJSON, each with thousands of generated requests that mix valid records with hostile ones. Whatever
// comes in, no answer is a 5xx, no service dies, and every record answered "accepted" ends scored or
// quarantined exactly once. The seed is printed; FUZZ_SEED=<seed> replays a run, FUZZ_REQUESTS sets its size.
import * as fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { transactionKey } from '@vigil/contracts';
import { newTransaction, waitFor } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import { SERVICES, Suite } from '../support/suite.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const REQUESTS_PER_TARGET = Number(process.env.FUZZ_REQUESTS ?? 5000);
const CONCURRENCY = 8;

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

  beforeAll(async () => {
    // child processes: a crash or restart of any service is visible, not hidden in this process
    suite = await Suite.start({
      modes: Object.fromEntries(SERVICES.map((name) => [name, 'child-process'])),
      env: { gateway: { GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: '0' } },
    });
    partnerToken = await tokenFor(suite.gatewayUrl, 'partner-a');
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
});
