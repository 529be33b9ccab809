// Test support: a real HTTP server on a free local port that answers like the ingest API's batch
// endpoint and records what it was sent. Scripted failures exercise retries and backpressure.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedBatch {
  headers: IncomingHttpHeaders;
  records: Record<string, unknown>[];
}

export interface RecordingIngestServer {
  url: string;
  port: number;
  /** Batches answered with 200, in arrival order. */
  batches: ReceivedBatch[];
  /** Every request, answered or refused. */
  requests: number;
  /** Most requests that were open at the same time. */
  maxConcurrent: number;
  close(): Promise<void>;
}

export interface RecordingIngestServerOptions {
  /** Status for the n-th request (0-based); undefined or 200 answers normally. */
  statusFor?: (request: number) => number | undefined;
  /** Delay before answering, to let requests overlap. */
  delayMs?: number;
  /** Marks records whose transaction_id matches as rejected. */
  rejects?: (record: Record<string, unknown>) => boolean;
  port?: number;
}

export async function startRecordingIngestServer(
  options: RecordingIngestServerOptions = {},
): Promise<RecordingIngestServer> {
  let open = 0;
  const state = { batches: [] as ReceivedBatch[], requests: 0, maxConcurrent: 0 };
  const server: Server = createServer((request, response) => {
    const index = state.requests++;
    open++;
    state.maxConcurrent = Math.max(state.maxConcurrent, open);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      setTimeout(() => {
        open--;
        const status = options.statusFor?.(index) ?? 200;
        if (status !== 200) {
          response.writeHead(status, { 'content-type': 'application/json', 'retry-after': '0' });
          response.end(JSON.stringify({ message: `scripted ${status}` }));
          return;
        }
        const records = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>[];
        state.batches.push({ headers: request.headers, records });
        const results = records.map((record, i) => {
          const rejected = options.rejects?.(record) ?? false;
          return {
            index: i,
            transaction_id: record['transaction_id'],
            status: rejected ? 'rejected' : 'accepted',
            ...(rejected
              ? { reasons: [{ code: 'test.rejected', message: 'rejected by the test server' }] }
              : {}),
          };
        });
        const rejected = results.filter((r) => r.status === 'rejected').length;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({ accepted: records.length - rejected, duplicates: 0, rejected, results }),
        );
      }, options.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/transactions`,
    port,
    get batches() {
      return state.batches;
    },
    get requests() {
      return state.requests;
    },
    get maxConcurrent() {
      return state.maxConcurrent;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Collects what a command writes to stderr/stdout. */
export class CapturedOutput {
  text = '';
  isTTY = false;
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}
