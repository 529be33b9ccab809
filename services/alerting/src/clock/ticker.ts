// Runs a background job every interval, at once when kicked, never twice at a time; stopping waits for the run.
import type { Logger } from '@vigil/observability';

export class Ticker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  /** `job` resolves true when it stopped early with work left, to be run again at once. */
  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly job: () => Promise<boolean>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Something became due: run now rather than at the next interval. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Run now and wait for it (tests drive time with a manual clock and call this after each step). */
  async runNow(): Promise<void> {
    await this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(), delayMs);
  }

  private run(): Promise<void> {
    if (this.running) return this.running;
    this.again = false;
    this.running = this.job()
      .then(
        (more) => more,
        (error: unknown) => {
          this.logger.warn({ job: this.name, error: String(error) }, 'background job failed; will retry');
          return false;
        },
      )
      .then((more) => {
        this.running = undefined;
        this.schedule(more || this.again ? 0 : this.intervalMs);
      });
    return this.running;
  }
}
