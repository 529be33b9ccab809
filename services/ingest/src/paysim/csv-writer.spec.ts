import { Readable } from 'node:stream';
import { generateTransactions, type GeneratedRecord } from '../generator/index.js';
import {
  PAYSIM_CSV_HEADER,
  PaysimCsvReader,
  formatPaysimCsvRow,
  paysimStep,
  toPaysimJsonRecord,
  toPaysimRow,
  type PaysimRow,
} from './index.js';

const START = '2025-01-01T00:00:00Z';
const startMs = Date.parse(START);

describe('PaySim CSV writer', () => {
  it('round-trips generated mobile-money records through the reader unchanged', async () => {
    const records = [
      ...generateTransactions({
        seed: 8,
        count: 3_000,
        fraudRate: 0.05,
        startTime: START,
        channels: ['mobile_money'],
      }),
    ];
    const rows = records.map((record) => toPaysimRow(record, startMs)!);
    const csv = `${PAYSIM_CSV_HEADER}\n${rows.map(formatPaysimCsvRow).join('\n')}\n`;

    const read: PaysimRow[] = [];
    for await (const row of new PaysimCsvReader(Readable.from([csv]))) read.push(row);

    expect(read).toEqual(rows);
    expect(read.map((r) => r.amount)).toEqual(records.map((r) => r.amount));
    expect(read.filter((r) => r.isFraud === 1)).toHaveLength(records.filter((r) => r.labels.is_fraud).length);
    const transfer = records.find((r) => r.type === 'TRANSFER')!;
    expect(read[records.indexOf(transfer)]).toMatchObject({
      nameOrig: transfer.origin.account,
      oldbalanceOrg: transfer.origin.balance_before,
      newbalanceDest: transfer.destination!.balance_after,
    });
  });

  it('writes untracked merchant balances as PaySim does and skips what PaySim cannot hold', () => {
    const records = [...generateTransactions({ seed: 8, count: 500, startTime: START })];
    const payment = records.find((r) => r.type === 'PAYMENT')!;
    expect(toPaysimRow(payment, startMs)).toMatchObject({
      nameDest: payment.merchant!.id,
      oldbalanceDest: '0.0',
      newbalanceDest: '0.0',
    });
    const card = records.find((r): r is GeneratedRecord => r.type === 'CARD_PAYMENT')!;
    expect(toPaysimRow(card, startMs)).toBeUndefined();
  });

  it('counts steps in simulated hours from 1', () => {
    expect(paysimStep('2025-01-01T00:59:59Z', startMs)).toBe(1);
    expect(paysimStep('2025-01-01T01:00:00Z', startMs)).toBe(2);
    expect(paysimStep('2025-01-02T00:30:00Z', startMs)).toBe(25);
  });

  it('turns a row into the JSON the importer posts, money still text', () => {
    const row: PaysimRow = {
      step: 1,
      type: 'PAYMENT',
      amount: '9839.64',
      nameOrig: 'C1231006815',
      oldbalanceOrg: '170136.0',
      newbalanceOrig: '160296.36',
      nameDest: 'M1979787155',
      oldbalanceDest: '0.0',
      newbalanceDest: '0.0',
      isFraud: 0,
      isFlaggedFraud: 0,
    };
    expect(
      JSON.parse(
        JSON.stringify(
          toPaysimJsonRecord(row, { currency: 'KES', region: 'KE', transactionId: 'paysim-log-2' }),
        ),
      ),
    ).toEqual({
      transaction_id: 'paysim-log-2',
      ...row,
      currency: 'KES',
      region: 'KE',
    });
  });
});
