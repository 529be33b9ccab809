// Synthetic records from the ingest generator, serialised up front, and the HTTP client that posts them.
import { Agent } from 'node:http';
import { request } from 'node:http';
import { ROOT } from './suite.ts';

type GeneratorModule = typeof import('../../services/ingest/src/generator/index.ts');

let generator: GeneratorModule | undefined;

/** The built generator (services/ingest/dist): the same records `npm run generate` sends. */
export async function loadGenerator(): Promise<GeneratorModule> {
  generator ??= (await import(`${ROOT}services/ingest/dist/generator/index.js`)) as GeneratorModule;
  return generator;
}

export interface Batch {
  ids: string[];
  body: string;
}

/** `count` mobile-money records of one seed (ids gen-<seed>-<n>), as JSON array bodies of `batchSize`. */
export async function makeBatches(seed: number, count: number, batchSize: number): Promise<Batch[]> {
  const { generateTransactions } = await loadGenerator();
  const batches: Batch[] = [];
  let records: unknown[] = [];
  let ids: string[] = [];
  for (const record of generateTransactions({ seed, count, fraudRate: 0.02, channels: ['mobile_money'] })) {
    records.push(record);
    ids.push(record.transaction_id);
    if (records.length === batchSize) {
      batches.push({ ids, body: JSON.stringify(records) });
      records = [];
      ids = [];
    }
  }
  if (records.length > 0) batches.push({ ids, body: JSON.stringify(records) });
  return batches;
}

/** Records as a generator stream, for the paced load that cuts its own batches. */
export async function makeRecords(seed: number, count: number): Promise<{ id: string; json: string }[]> {
  const { generateTransactions } = await loadGenerator();
  return [...generateTransactions({ seed, count, fraudRate: 0.02, channels: ['mobile_money'] })].map((r) => ({
    id: r.transaction_id,
    json: JSON.stringify(r),
  }));
}

export interface IngestReply {
  status: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** POST /v1/transactions with a keep-alive connection. */
export function postBatch(ingestUrl: string, body: string): Promise<IngestReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${ingestUrl}/v1/transactions`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: Partial<IngestReply> = {};
          try {
            parsed = JSON.parse(text) as Partial<IngestReply>;
          } catch {
            // not JSON: reported through status and body
          }
          resolve({
            status: res.statusCode ?? 0,
            accepted: parsed.accepted ?? 0,
            duplicates: parsed.duplicates ?? 0,
            rejected: parsed.rejected ?? 0,
            body: text.slice(0, 500),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export function closeAgent(): void {
  agent.destroy();
}
