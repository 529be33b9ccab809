// Output in the order of input, with the work between concurrent. A consumer handles several messages at once
// (each waits on Postgres), so they finish in any order; a handler whose output feeds stateful consumers
// (per-account features downstream) publishes inside `turn.inOrder`, which waits until every message pulled
// before it has published or finished. A message that fails without publishing lets the next ones go.

/** One message's place in its consumer's order. */
export class Turn {
  private finished = false;

  constructor(
    private readonly previous: Promise<void>,
    private readonly release: () => void,
  ) {}

  /** Runs `step` once the messages before this one have run theirs or finished; then lets the next one go. */
  async inOrder<T>(step: () => Promise<T>): Promise<T> {
    await this.previous;
    try {
      return await step();
    } finally {
      this.done();
    }
  }

  /** This message will publish nothing more in order: the next one may go. Idempotent. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
  }
}

/** Hands out turns in the order `take` is called. */
export class Turnstile {
  private last: Promise<void> = Promise.resolve();

  take(): Turn {
    const previous = this.last;
    let release!: () => void;
    this.last = new Promise<void>((resolve) => (release = resolve));
    return new Turn(previous, release);
  }
}
