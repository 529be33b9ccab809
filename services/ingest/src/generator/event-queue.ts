// Records scheduled for a simulated time. Fraud episodes schedule steps minutes ahead; a heap
// lets ordinary traffic interleave with them while timestamps still come out in order.
import type { GeneratedRecord, RecordStamp } from './records.js';

export interface ScheduledRecord {
  atMs: number;
  /** Counted against the requested fraud rate. */
  fraud: boolean;
  /** Runs when the record is emitted, so balances reflect everything emitted before it. */
  build(stamp: RecordStamp): GeneratedRecord;
}

interface Entry {
  event: ScheduledRecord;
  /** Insertion order breaks ties, so a step scheduled first is emitted first. */
  sequence: number;
}

export class EventQueue {
  private readonly heap: Entry[] = [];
  private sequence = 0;

  get size(): number {
    return this.heap.length;
  }

  push(event: ScheduledRecord): void {
    this.heap.push({ event, sequence: this.sequence++ });
    let child = this.heap.length - 1;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(child, parent)) break;
      this.swap(child, parent);
      child = parent;
    }
  }

  peek(): ScheduledRecord | undefined {
    return this.heap[0]?.event;
  }

  pop(): ScheduledRecord | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (!top || !last) return undefined;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let parent = 0;
      for (;;) {
        const left = 2 * parent + 1;
        const right = left + 1;
        let first = parent;
        if (left < this.heap.length && this.before(left, first)) first = left;
        if (right < this.heap.length && this.before(right, first)) first = right;
        if (first === parent) break;
        this.swap(parent, first);
        parent = first;
      }
    }
    return top.event;
  }

  private before(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.event.atMs < b.event.atMs || (a.event.atMs === b.event.atMs && a.sequence < b.sequence);
  }

  private swap(i: number, j: number): void {
    [this.heap[i], this.heap[j]] = [this.heap[j]!, this.heap[i]!];
  }
}
