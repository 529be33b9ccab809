import { Readable } from 'node:stream';
import { PAYSIM_CSV_HEADER, PaysimCsvError, PaysimCsvReader, type PaysimRow } from './index.js';

// The first two rows of the public PaySim log, as published.
const PAYSIM_HEAD = [
  PAYSIM_CSV_HEADER,
  '1,PAYMENT,9839.64,C1231006815,170136.0,160296.36,M1979787155,0.0,0.0,0,0',
  '1,TRANSFER,181.0,C1305486145,181.0,0.0,C553264065,0.0,0.0,1,0',
];

async function readAll(
  text: string | readonly (string | Buffer)[],
  options = {},
): Promise<{ rows: PaysimRow[]; reader: PaysimCsvReader }> {
  const reader = new PaysimCsvReader(Readable.from(typeof text === 'string' ? [text] : text), options);
  const rows: PaysimRow[] = [];
  for await (const row of reader) rows.push(row);
  return { rows, reader };
}

async function readError(text: string): Promise<PaysimCsvError> {
  const error: unknown = await readAll(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PaysimCsvError)) throw new Error(`expected a PaysimCsvError, got ${String(error)}`);
  return error;
}

describe('PaysimCsvReader', () => {
  it('reads PaySim rows keeping money as the exact decimal text', async () => {
    const { rows } = await readAll(`${PAYSIM_HEAD.join('\n')}\n`);
    expect(rows).toEqual([
      {
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
      },
      expect.objectContaining({ type: 'TRANSFER', amount: '181.0', isFraud: 1 }),
    ]);
  });

  it('tolerates CRLF, a BOM, blank lines, a missing final newline and any chunking', async () => {
    const text = `\uFEFF${PAYSIM_HEAD.join('\r\n')}\r\n\r\n${PAYSIM_HEAD[1]}`;
    const bytes = Buffer.from(text);
    // One byte per chunk splits every line, and the BOM, across chunk boundaries.
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    const { rows, reader } = await readAll(chunks);
    expect(rows.map((r) => r.amount)).toEqual(['9839.64', '181.0', '9839.64']);
    expect(rows[2]!.newbalanceDest).toBe('0.0');
    expect(reader.bytesRead).toBe(bytes.length);
  });

  it('reports the line number of the row it yielded', async () => {
    const reader = new PaysimCsvReader(Readable.from([`${PAYSIM_HEAD.join('\n')}\n`]));
    const lines: number[] = [];
    for await (const row of reader) lines.push(reader.lineNumber, row.step);
    expect(lines).toEqual([2, 1, 3, 1]);
  });

  it('accepts the PaySim columns in another order', async () => {
    const { rows } = await readAll(
      'amount,step,type,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n9839.64,7,PAYMENT,C1,1.0,0.0,M2,0.0,0.0,0,0\n',
    );
    expect(rows[0]).toMatchObject({ step: 7, amount: '9839.64', nameOrig: 'C1' });
  });

  it('names the line of a row with the wrong number of columns', async () => {
    const error = await readError(`${PAYSIM_HEAD.join('\n')}\n1,PAYMENT,10.00,C1,20.0,10.0,M1,0.0,0.0,0\n`);
    expect(error.line).toBe(4);
    expect(error.message).toBe('line 4: expected 11 columns, found 10');
  });

  it('names the line and column of a bad value', async () => {
    await expect(
      readError(`${PAYSIM_HEAD[0]}\n1,PAYMENT,1e3,C1,20.0,10.0,M1,0.0,0.0,0,0\n`),
    ).resolves.toMatchObject({
      line: 2,
      message: expect.stringMatching(/^line 2: amount must be a decimal number.*found "1e3"/),
    });
    await expect(
      readError(`${PAYSIM_HEAD[0]}\n\n1,REFUND,1.0,C1,20.0,10.0,M1,0.0,0.0,0,0\n`),
    ).resolves.toMatchObject({ line: 3 });
    await expect(
      readError(`${PAYSIM_HEAD[0]}\n1,PAYMENT,1.0,C1,20.0,10.0,M1,0.0,0.0,yes,0\n`),
    ).resolves.toMatchObject({
      message: expect.stringContaining('isFraud must be 0 or 1'),
    });
  });

  it('refuses a header that is not PaySim, naming the unknown and missing columns', async () => {
    const error = await readError(
      'step,kind,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n',
    );
    expect(error.line).toBe(1);
    expect(error.message).toContain('unknown column(s) "kind"');
    expect(error.message).toContain('missing column(s) type');
    await expect(readError('')).resolves.toMatchObject({
      message: expect.stringContaining('missing PaySim header'),
    });
    // A data row where the header should be is refused too, not read as data.
    await expect(readError(`${PAYSIM_HEAD[1]}\n`)).resolves.toMatchObject({ line: 1 });
  });

  it('can report malformed rows and go on', async () => {
    const skipped: number[] = [];
    const { rows } = await readAll(`${PAYSIM_HEAD[0]}\n1,PAYMENT\n${PAYSIM_HEAD[1]}\n`, {
      onMalformed: (e: PaysimCsvError) => skipped.push(e.line),
    });
    expect(skipped).toEqual([2]);
    expect(rows).toHaveLength(1);
  });
});
