import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PAYSIM_CSV_HEADER } from '../paysim/index.js';
import { defaultIdPrefix, runImportPaysim } from './import-paysim.command.js';
import {
  CapturedOutput,
  startRecordingIngestServer,
  type RecordingIngestServer,
} from './recording-ingest-server.js';

const ROWS = [
  '1,PAYMENT,9839.64,C1231006815,170136.0,160296.36,M1979787155,0.0,0.0,0,0',
  '1,TRANSFER,181.0,C1305486145,181.0,0.0,C553264065,0.0,0.0,1,0',
  '1,CASH_OUT,181.0,C840083671,181.0,0.0,C38997010,21182.0,0.0,1,0',
];

describe('import-paysim command', () => {
  let dir: string;
  let server: RecordingIngestServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    server = await startRecordingIngestServer();
  });
  afterEach(async () => {
    await server.close();
  });

  const run = async (argv: string[]) => {
    const stderr = new CapturedOutput();
    const code = await runImportPaysim(argv, {
      stdout: new PassThrough(),
      stderr,
      stop: new AbortController().signal,
    });
    return { code, stderr: stderr.text };
  };

  it('posts each row with PaySim column names, money as the file text, plus currency, region and a line-based id', async () => {
    const file = join(dir, 'PS log.csv');
    await writeFile(file, `${PAYSIM_CSV_HEADER}\r\n${ROWS.join('\r\n')}\r\n`);
    const { code, stderr } = await run([
      file,
      '--target',
      server.url,
      '--currency',
      'NGN',
      '--region',
      'NG',
      '--batch-size',
      '2',
    ]);
    expect(code).toBe(0);
    expect(server.batches.map((b) => b.records.length)).toEqual([2, 1]);
    expect(server.batches[0]!.records[0]).toEqual({
      transaction_id: 'paysim-PS-log-2',
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
      currency: 'NGN',
      region: 'NG',
    });
    expect(server.batches[1]!.records[0]).toMatchObject({
      transaction_id: 'paysim-PS-log-4',
      type: 'CASH_OUT',
      isFraud: 1,
    });
    expect(stderr).toMatch(/read 3 rows/);
    expect(stderr).toMatch(/3 of 3 records answered in 2 requests/);
  });

  it('stops at a malformed line, naming it, after sending the rows before it', async () => {
    const file = join(dir, 'broken.csv');
    await writeFile(file, `${PAYSIM_CSV_HEADER}\n${ROWS[0]}\n1,PAYMENT,10.0,C1\n${ROWS[1]}\n`);
    const { code, stderr } = await run([file, '--target', server.url]);
    expect(code).toBe(1);
    expect(stderr).toContain(`error: ${file} line 3: expected 11 columns, found 4`);
    expect(server.batches.flatMap((b) => b.records)).toHaveLength(1);
  });

  it('skips malformed lines with --skip-malformed, reporting each', async () => {
    const file = join(dir, 'dirty.csv');
    await writeFile(
      file,
      `${PAYSIM_CSV_HEADER}\n${ROWS[0]}\n1,PAYMENT,ten,C1,0.0,0.0,M1,0.0,0.0,0,0\n${ROWS[1]}\n`,
    );
    const { code, stderr } = await run([file, '--target', server.url, '--skip-malformed']);
    expect(code).toBe(0);
    expect(stderr).toContain('line 3: amount must be a decimal number');
    expect(stderr).toContain('skipped 1 malformed lines');
    expect(server.batches.flatMap((b) => b.records)).toHaveLength(2);
  });

  it('explains a missing file, an unknown header and bad flags', async () => {
    expect((await run([join(dir, 'absent.csv')])).stderr).toMatch(/cannot read .*absent\.csv/);
    const file = join(dir, 'other.csv');
    await writeFile(file, 'id,amount\n1,2\n');
    const header = await run([file, '--target', server.url]);
    expect(header.code).toBe(1);
    expect(header.stderr).toContain('line 1: not a PaySim header');
    expect((await run([file, '--currency', 'XXX'])).code).toBe(2);
    expect((await run([])).code).toBe(2);
  });

  it('derives a valid id prefix from any file name', () => {
    expect(defaultIdPrefix('/data/PS_20174392719_1491204439457_log.csv')).toBe(
      'paysim-PS_20174392719_1491204439457_log',
    );
    expect(defaultIdPrefix('weird name (1).csv')).toBe('paysim-weird-name-1-');
  });
});
