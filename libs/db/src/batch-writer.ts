// Groups single-row writes into one statement, flushed on size or time; each add() resolves once its row is committed.
import type { Database } from './database.js';

export interface BatchWriterOptions<Row> {
  /** Writes one batch; must be idempotent (e.g. ON CONFLICT DO NOTHING) so a redelivered row is written once. */
  write(rows: Row[]): Promise<void>;
  maxRows?: number;
  maxDelayMs?: number;
}

interface Pending<Row> {
  row: Row;
  resolve(): void;
  reject(error: unknown): void;
}

export class BatchWriter<Row> {
  private pending: Pending<Row>[] = [];
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;

  constructor(
    db: Database,
    private readonly options: BatchWriterOptions<Row>,
  ) {
    this.maxRows = options.maxRows ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 5;
    db.onClose(this);
  }

  add(row: Row): Promise<void> {
    if (this.closed) return Promise.reject(new Error('batch writer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (this.pending.length >= this.maxRows) this.flushSoon(0);
      else this.flushSoon(this.maxDelayMs);
    });
  }

  private flushSoon(delayMs: number): void {
    if (delayMs === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, delayMs);
    }
  }

  /** Writes everything queued so far. Batches are written one after another, in order. */
  flush(): Promise<void> {
    const batch = this.pending;
    if (batch.length === 0) return this.flushing;
    this.pending = [];
    this.flushing = this.flushing.then(async () => {
      try {
        await this.options.write(batch.map((p) => p.row));
        batch.forEach((p) => p.resolve());
      } catch (error) {
        batch.forEach((p) => p.reject(error));
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.flush();
  }
}
