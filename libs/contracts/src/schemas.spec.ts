import { transactionSchema, type Reason, type Transaction } from './schemas.js';
import { compile } from './validation.js';

const conforms = compile<Transaction>(transactionSchema);

interface Party {
  account?: string;
  balance_before?: string;
  balance_after?: string;
}
interface TransactionInput {
  transaction_id: string;
  type: string;
  amount: string;
  currency: string;
  timestamp: string;
  region: string;
  channel?: string;
  origin: Party;
  destination?: Party;
  [field: string]: unknown;
}

/** A transaction as a partner sends it; a test overrides only what matters to it. */
function newTransaction(overrides: Partial<TransactionInput> = {}): TransactionInput {
  return {
    transaction_id: 'tx-20260101-0001',
    type: 'PAYMENT',
    amount: '125.50',
    currency: 'NGN',
    timestamp: '2026-01-01T09:30:00Z',
    region: 'NG',
    channel: 'mobile_money',
    origin: { account: 'C100', balance_before: '10000.00', balance_after: '9874.50' },
    destination: { account: 'M200' },
    ...overrides,
  };
}

/** The reasons the transaction schema gives for a record, or [] when it conforms. */
function reasonsFor(record: unknown): Reason[] {
  return conforms(record) ? [] : conforms.reasons();
}

/** A card payment as it travels after ingest: the number replaced by a token and the last four digits. */
function newCardPayment(overrides: Partial<TransactionInput> = {}): TransactionInput {
  const { destination: _merchantIsTheDestination, ...payment } = newTransaction({
    type: 'CARD_PAYMENT',
    channel: 'card',
    amount: '49.99',
    currency: 'USD',
    region: 'US',
    card: { token: `tok_${'a1'.repeat(16)}`, last4: '1486', holder: 'Ada Obi', network: 'visa' },
    merchant: { id: 'm-1', name: 'Corner Shop', mcc: '5411', country: 'US' },
  });
  return { ...payment, ...overrides };
}

/** What ingest makes of PaySim's first row (step 1, PAYMENT 9839.64). */
const newPaysimNormalised = () => ({
  transaction_id: 'ps-0123456789abcdef01234567',
  type: 'PAYMENT',
  amount: '9839.64',
  currency: 'KES',
  region: 'KE',
  timestamp: '2026-01-01T01:00:00.000Z',
  channel: 'mobile_money',
  source: 'paysim',
  origin: { account: 'C1231006815', balance_before: '170136', balance_after: '160296.36' },
  destination: { account: 'M1979787155', balance_before: '0', balance_after: '0' },
  labels: { is_fraud: false, is_flagged_fraud: false, step: 1 },
});

describe('the transaction schema', () => {
  it('accepts a tokenised card payment', () => {
    expect(reasonsFor(newCardPayment())).toEqual([]);
  });

  it.each([
    ['NGN', 'NG'],
    ['KES', 'KE'],
  ])('accepts a mobile-money transfer in %s', (currency, region) => {
    const record = newTransaction({
      type: 'TRANSFER',
      currency,
      region,
      channel: 'mobile_money',
      amount: '2500.00',
      fee: '25.00',
      origin: { account: 'C100', balance_before: '10000.00', balance_after: '7500.00' },
      destination: { account: 'C200', balance_before: '-50.00', balance_after: '2450.00' },
    });
    expect(reasonsFor(record)).toEqual([]);
  });

  it('accepts a record normalised from PaySim', () => {
    expect(reasonsFor(newPaysimNormalised())).toEqual([]);
  });

  it.each(['transaction_id', 'type', 'amount', 'currency', 'timestamp', 'region', 'origin'] as const)(
    'names the missing field %s',
    (field) => {
      const record: Record<string, unknown> = newTransaction();
      delete record[field];
      expect(reasonsFor(record)).toEqual([
        { code: 'schema.required', field, message: `${field} is required`, severity: 'error' },
      ]);
    },
  );

  it('names a missing field inside a party by its dotted path', () => {
    const record = newTransaction({ destination: { balance_before: '0' } });
    expect(reasonsFor(record)).toContainEqual(
      expect.objectContaining({ code: 'schema.required', field: 'destination.account' }),
    );
  });

  it('names a field of the wrong type', () => {
    const reasons = reasonsFor(newTransaction({ origin: 'C100' as never }));
    expect(reasons).toEqual([
      { code: 'schema.type', field: 'origin', message: 'origin must be object', severity: 'error' },
    ]);
  });

  it.each([
    ['currency', 'XYZ'],
    ['region', 'ZZ'],
    ['type', 'WIRE'],
    ['channel', 'carrier_pigeon'],
  ])('names a %s outside its enumeration (%s)', (field, value) => {
    expect(reasonsFor(newTransaction({ [field]: value }))).toEqual([
      {
        code: 'schema.enum',
        field,
        message: `${field} must be one of the allowed values`,
        severity: 'error',
      },
    ]);
  });

  it('refuses an amount with more than 4 fraction digits, naming the pattern', () => {
    const [reason, ...rest] = reasonsFor(newTransaction({ amount: '12.345678' }));
    expect(rest).toEqual([]);
    expect(reason).toMatchObject({ code: 'schema.pattern', field: 'amount', severity: 'error' });
    expect(reason!.message).toMatch(/^amount must match pattern/);
  });

  it('refuses a negative amount but accepts a negative balance', () => {
    expect(reasonsFor(newTransaction({ amount: '-1.00' }))).toContainEqual(
      expect.objectContaining({ code: 'schema.pattern', field: 'amount' }),
    );
    expect(
      reasonsFor(
        newTransaction({ origin: { account: 'C1', balance_before: '-10', balance_after: '-135.5' } }),
      ),
    ).toEqual([]);
  });

  it('refuses an amount sent as a JSON number: money is never a float', () => {
    expect(reasonsFor(newTransaction({ amount: 12.5 as never }))).toEqual([
      { code: 'schema.type', field: 'amount', message: 'amount must be string', severity: 'error' },
    ]);
  });

  it('refuses a fee or balance that is not a decimal string', () => {
    const reasons = reasonsFor(
      newTransaction({ fee: '1e2', origin: { account: 'C1', balance_before: '10,000.00' } }),
    );
    expect(reasons.map((r) => r.field)).toEqual(['origin.balance_before', 'fee']);
  });

  it('refuses a clear-text card number: only the token and last four may travel', () => {
    const record = newCardPayment({ card: { number: '4539578763621486', holder: 'Ada Obi' } });
    const reasons = reasonsFor(record);
    expect(reasons).toContainEqual({
      code: 'schema.additionalProperties',
      field: 'card.number',
      message: 'card.number is not allowed',
      severity: 'error',
    });
    expect(reasons).toContainEqual(expect.objectContaining({ code: 'schema.required', field: 'card.token' }));
    expect(JSON.stringify(reasons)).not.toContain('4539578763621486');
  });

  it('refuses a card token that is not one of ours', () => {
    expect(reasonsFor(newCardPayment({ card: { token: '4539578763621486', last4: '1486' } }))).toContainEqual(
      expect.objectContaining({ code: 'schema.pattern', field: 'card.token' }),
    );
  });

  it.each([
    ['2026-01-01T09:30:00', 'no offset'],
    ['2026-02-30T09:30:00Z', 'no such day'],
    ['2026-01-01T25:00:00Z', 'no such hour'],
    ['01/01/2026 09:30', 'not RFC 3339 at all'],
    ['1767259800', 'epoch seconds'],
  ])('refuses the timestamp %p (%s), naming the field', (timestamp) => {
    expect(reasonsFor(newTransaction({ timestamp }))).toEqual([
      {
        code: 'schema.format',
        field: 'timestamp',
        message: 'timestamp must match format "date-time"',
        severity: 'error',
      },
    ]);
  });

  it('accepts RFC 3339 timestamps with an offset or fractional seconds', () => {
    for (const timestamp of ['2026-01-01T09:30:00+03:00', '2026-01-01T09:30:00.123456Z'])
      expect(reasonsFor(newTransaction({ timestamp }))).toEqual([]);
  });

  it('reports every problem at once, each naming its field', () => {
    const record: Record<string, unknown> = newTransaction({ currency: 'XYZ', amount: 5 as never });
    delete record.timestamp;
    const reasons = reasonsFor(record);
    expect(reasons.map((r) => r.field).sort()).toEqual(['amount', 'currency', 'timestamp']);
    for (const reason of reasons) expect(reason.message).toContain(reason.field);
  });

  it('explains a record that is not an object without inventing a field', () => {
    expect(reasonsFor('not a record')).toEqual([
      { code: 'schema.type', message: 'record must be object', severity: 'error' },
    ]);
  });
});
