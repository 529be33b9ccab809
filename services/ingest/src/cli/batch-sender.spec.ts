import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { BatchSender, DeliveryError } from './batch-sender.js';
import { startRecordingIngestServer, type RecordingIngestServer } from './recording-ingest-server.js';

const records = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ transaction_id: `t-${from + i}` }));
const fast = { initialBackoffMs: 5, maxBackoffMs: 20 };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('BatchSender', () => {
  let server: RecordingIngestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('posts JSON batches with the bearer token and tallies the replies', async () => {
    server = await startRecordingIngestServer({ rejects: (record) => record['transaction_id'] === 't-3' });
    const sender = new BatchSender({ target: server.url, token: 's3cret', concurrency: 2 });
    await sender.send(records(0, 5));
    await sender.send(records(5, 5));
    await sender.drain();
    expect(server.batches.map((b) => b.records.length)).toEqual([5, 5]);
    expect(server.batches[0]!.headers['authorization']).toBe('Bearer s3cret');
    expect(server.batches[0]!.headers['content-type']).toBe('application/json');
    expect(sender.tally).toMatchObject({
      batches: 2,
      records: 10,
      accepted: 9,
      rejected: 1,
      duplicates: 0,
      failedRecords: 0,
    });
    expect(sender.rejections).toEqual([
      { transactionId: 't-3', index: 3, reasons: 'test.rejected rejected by the test server' },
    ]);
  });

  it('never has more than concurrency requests in flight', async () => {
    server = await startRecordingIngestServer({ delayMs: 30 });
    const sender = new BatchSender({ target: server.url, concurrency: 3 });
    for (let i = 0; i < 12; i++) {
      await sender.send(records(i * 10, 10));
      expect(sender.pending).toBeLessThanOrEqual(3);
    }
    await sender.drain();
    expect(server.maxConcurrent).toBe(3);
    expect(sender.tally.accepted).toBe(120);
  });

  it('retries 429 and 503 until the batch is accepted, losing nothing', async () => {
    server = await startRecordingIngestServer({ statusFor: (n) => [429, 503, 503][n] });
    const sender = new BatchSender({ target: server.url, concurrency: 1, ...fast });
    await sender.send(records(0, 7));
    await sender.drain();
    expect(server.requests).toBe(4);
    expect(sender.tally).toMatchObject({ accepted: 7, retries: 3, failedRecords: 0 });
    expect(sender.failure).toBeUndefined();
  });

  it('retries while the connection is refused, until the API comes up', async () => {
    const port = await freePort();
    const sender = new BatchSender({
      target: `http://127.0.0.1:${port}/v1/transactions`,
      concurrency: 1,
      ...fast,
    });
    await sender.send(records(0, 4));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(sender.tally.retries).toBeGreaterThan(0);
    server = await startRecordingIngestServer({ port });
    await sender.drain();
    expect(sender.tally.accepted).toBe(4);
    expect(server.batches).toHaveLength(1);
  });

  it('stops on an error retrying cannot fix and says why', async () => {
    server = await startRecordingIngestServer({ statusFor: () => 401 });
    const sender = new BatchSender({ target: server.url, concurrency: 1, ...fast });
    await sender.send(records(0, 3));
    await sender.drain();
    expect(sender.failure).toBeInstanceOf(DeliveryError);
    expect(sender.failure!.message).toMatch(/HTTP 401.*check --token/);
    expect(sender.tally.failedRecords).toBe(3);
    await expect(sender.send(records(3, 1))).rejects.toBe(sender.failure);
    expect(server.requests).toBe(1);
  });

  it('gives up on a batch after its retry budget and reports it as failed', async () => {
    server = await startRecordingIngestServer({ statusFor: () => 503 });
    const sender = new BatchSender({ target: server.url, concurrency: 1, retryBudgetMs: 50, ...fast });
    await sender.send(records(0, 2));
    await sender.drain();
    expect(sender.failure?.message).toMatch(/gave up after retrying.*HTTP 503/);
    expect(sender.tally.failedRecords).toBe(2);
  });
});
