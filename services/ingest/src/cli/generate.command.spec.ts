import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { CardTransactionRecord } from '../generator/card/index.js';
import { PAYSIM_CSV_HEADER, PaysimCsvReader } from '../paysim/index.js';
import { runGenerate } from './generate.command.js';
import {
  CapturedOutput,
  startRecordingIngestServer,
  type RecordingIngestServer,
} from './recording-ingest-server.js';

describe('generate command', () => {
  let dir: string;
  let server: RecordingIngestServer | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-generate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const run = (argv: string[], stop?: AbortSignal) => {
    const stderr = new CapturedOutput();
    const stdout = new PassThrough();
    return {
      stderr,
      stdout,
      done: runGenerate(argv, { stdout, stderr, stop: stop ?? new AbortController().signal }),
    };
  };

  it('writes the requested number of records as NDJSON with --out', async () => {
    const out = join(dir, 'records.ndjson');
    const { stderr, done } = run(['--out', out, '--count', '2500', '--seed', '7']);
    expect(await done).toBe(0);
    const lines = (await readFile(out, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2500);
    const records = lines.map((line) => JSON.parse(line) as { transaction_id: string; source: string });
    expect(records[0]!.transaction_id).toBe('gen-7-1');
    expect(records.at(-1)!.transaction_id).toBe('gen-7-2500');
    expect(records.every((r) => r.source === 'generator')).toBe(true);
    expect(stderr.text).toMatch(/wrote 2,500 records \(NDJSON\)/);
  });

  it('writes a PaySim CSV, with only mobile-money records, when --out ends in .csv', async () => {
    const out = join(dir, 'paysim.csv');
    expect(await run(['--out', out, '--count', '800', '--fraud-rate', '0.05']).done).toBe(0);
    const text = await readFile(out, 'utf8');
    expect(text.split('\n')[0]).toBe(PAYSIM_CSV_HEADER);
    const rows = [];
    for await (const row of new PaysimCsvReader(Readable.from([text]))) rows.push(row);
    expect(rows).toHaveLength(800);
    expect(rows.some((r) => r.isFraud === 1)).toBe(true);
  });

  it('posts the records in batches of at most --batch-size to --target', async () => {
    server = await startRecordingIngestServer();
    const { stderr, done } = run([
      '--target',
      server.url,
      '--count',
      '2500',
      '--batch-size',
      '1000',
      '--token',
      'abc',
    ]);
    expect(await done).toBe(0);
    // Batches travel concurrently, so they may be answered in any order.
    expect(server.batches.map((b) => b.records.length).sort()).toEqual([1000, 1000, 500]);
    expect(server.batches.every((b) => b.headers['authorization'] === 'Bearer abc')).toBe(true);
    const ids = server.batches.flatMap((b) => b.records.map((r) => r['transaction_id'] as string));
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 2500 }, (_, i) => `gen-42-${i + 1}`)));
    expect(stderr.text).toMatch(
      /2,500 of 2,500 records answered in 3 requests.*2500 accepted, 0 duplicates, 0 rejected/,
    );
  });

  it('keeps generating with --continuous until stopped, then delivers everything it generated', async () => {
    server = await startRecordingIngestServer();
    const stop = new AbortController();
    const { stderr, done } = run(['--target', server.url, '--continuous', '--rate', '2000'], stop.signal);
    while (server.batches.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    expect(await done).toBe(0);
    const delivered = server.batches.reduce((sum, b) => sum + b.records.length, 0);
    expect(stderr.text).toContain(
      `${delivered.toLocaleString('en-US')} of ${delivered.toLocaleString('en-US')} records answered`,
    );
    // Paced: batches hold about 200 ms of records.
    expect(Math.max(...server.batches.map((b) => b.records.length))).toBeLessThanOrEqual(400);
  });

  it('exits 1 and says how many records were not delivered when the API refuses them', async () => {
    server = await startRecordingIngestServer({ statusFor: () => 400 });
    const { stderr, done } = run(['--target', server.url, '--count', '1500']);
    expect(await done).toBe(1);
    // the two batches (1,000 and 500) are in flight together: whichever is refused first is reported
    expect(stderr.text).toMatch(/error: batch of (1000|500) records not delivered: HTTP 400/);
    expect(stderr.text).toMatch(/1,500 records were not delivered/);
  });

  it('writes card payments after the Handbook simulator with --kind card, the same for the same seed', async () => {
    const argv = ['--kind', 'card', '--days', '3', '--customers', '300', '--terminals', '600', '--seed', '7'];
    const out = join(dir, 'cards.ndjson');
    const { stderr, done } = run([...argv, '--out', out]);
    expect(await done).toBe(0);
    const text = await readFile(out, 'utf8');
    const records = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as CardTransactionRecord);
    expect(records.length).toBeGreaterThan(1_000);
    expect(records[0]!.transaction_id).toBe('card-7-1');
    expect(records[0]!.timestamp.startsWith('2025-01-01')).toBe(true);
    expect(records.at(-1)!.timestamp.startsWith('2025-01-03')).toBe(true);
    expect(records.every((r) => r.type === 'CARD_PAYMENT' && r.channel === 'card')).toBe(true);
    expect(stderr.text).toMatch(/wrote [\d,]+ records \(NDJSON\)/);

    const again = join(dir, 'cards-again.ndjson');
    expect(await run([...argv, '--out', again]).done).toBe(0);
    expect(await readFile(again, 'utf8')).toBe(text);
  });

  it('posts card payments to --target, --count capping the simulated days', async () => {
    server = await startRecordingIngestServer();
    const { done } = run(['--kind', 'card', '--target', server.url, '--count', '1200', '--customers', '500']);
    expect(await done).toBe(0);
    const records = server.batches.flatMap((b) => b.records);
    expect(records).toHaveLength(1200);
    expect(new Set(records.map((r) => r['channel']))).toEqual(new Set(['card']));
  });

  it('refuses flags that do not apply to the chosen generator', async () => {
    for (const argv of [
      ['--kind', 'card', '--fraud-rate', '0.1'],
      ['--kind', 'card', '--continuous'],
      ['--kind', 'card', '--out', join(dir, 'cards.csv')],
      ['--days', '3'],
      ['--kind', 'cheque'],
      ['--kind', 'card', '--customers', '0'],
    ]) {
      const { stderr, done } = run(argv);
      expect(await done).toBe(2);
      expect(stderr.text).toContain('Usage: generate');
    }
  });

  it('rejects bad flags with exit code 2 and the usage text', async () => {
    for (const argv of [['--fraud-rate', '2'], ['--count', 'many'], ['--bogus'], ['--start', 'soon']]) {
      const { stderr, done } = run(argv);
      expect(await done).toBe(2);
      expect(stderr.text).toContain('Usage: generate');
    }
  });
});
