// Groups single-row writes into one statement; each add() resolves once its row is committed.
// By default it commits as a group: a row that arrives while no write is running is written at once
// (with whatever arrived in the same tick), rows that arrive during a write form the next batch. So a
// trickle is not delayed and a flood is written in large batches. A batch is also cut at maxRows, and a
// positive maxDelayMs makes partial batches wait that long for company instead.
// A batch the database refuses for its data is split until the refused rows stand alone: the others
// commit, and only a refused row's add() rejects, with a permanent DataRefusedError carrying the
// database's message. A transient failure (connection lost) rejects the rows not yet committed, as is.
import type { Database } from './database.js';
import { commitIsolating } from './refusals.js';

export interface BatchWriterOptions<Row> {
  /**
   * Writes one batch in one transaction (all or nothing); must be idempotent (e.g. ON CONFLICT DO NOTHING)
   * so a redelivered row is written once. May be called again with parts of a refused batch.
   */
  write(rows: Row[]): Promise<void>;
  /** Largest batch; default 512, the consumers' in-flight limit, so a full set of in-flight rows is one statement. */
  maxRows?: number;
  /** 0 (default): group commit as above; > 0: a partial batch waits this long after its first row. */
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
  private writing = 0;
  private immediate?: NodeJS.Immediate;
  private closed = false;
  private readonly maxRows: number;
  private readonly maxDelayMs: number;

  constructor(
    db: Database,
    private readonly options: BatchWriterOptions<Row>,
  ) {
    this.maxRows = options.maxRows ?? 512;
    this.maxDelayMs = options.maxDelayMs ?? 0;
    db.onClose(this);
  }

  add(row: Row): Promise<void> {
    if (this.closed) return Promise.reject(new Error('batch writer is closed'));
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ row, resolve, reject });
      if (this.pending.length >= this.maxRows) this.flushSoon(0);
      else if (this.maxDelayMs > 0) this.flushSoon(this.maxDelayMs);
      // group commit: rows arriving during a write wait for it to finish (see flush)
      else if (this.writing === 0) this.immediate ??= setImmediate(() => void this.flush());
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
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    const batch = this.pending;
    if (batch.length === 0) return this.flushing;
    this.pending = [];
    this.writing++;
    this.flushing = this.flushing.then(async () => {
      try {
        await commitIsolating(
          batch,
          async (part) => {
            await this.options.write(part.map((p) => p.row));
            part.forEach((p) => p.resolve());
          },
          (p, refusal) => p.reject(refusal),
        );
      } catch (error) {
        // a settled promise ignores this: only the rows whose part did not commit are rejected
        batch.forEach((p) => p.reject(error));
      } finally {
        this.writing--;
        // the rows that gathered during this write are the next group
        if (this.writing === 0 && this.maxDelayMs === 0 && this.pending.length > 0) void this.flush();
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    await this.flush();
  }
}
