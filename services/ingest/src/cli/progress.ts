// Progress for long runs on stderr: a live bar on a terminal, a line every few seconds otherwise
// (CI logs, `2> file`), where a bar would only write escape codes.
import { Presets, SingleBar } from 'cli-progress';
import type { CliOutput } from './cli-io.js';

export interface ProgressOptions {
  stream: CliOutput;
  label: string;
  /** Known total, e.g. the file size or the record count; absent for an endless run. */
  total?: number;
  unit: 'records' | 'bytes';
  /** Gap between plain-text lines when the stream is not a terminal. */
  lineIntervalMs?: number;
}

export interface Progress {
  /** `done` in the progress unit; `detail` is a short status such as delivery counts. */
  update(done: number, detail: string): void;
  /** Stops the bar or the periodic lines; the caller prints the summary next. */
  stop(): void;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

function formatAmount(value: number, unit: ProgressOptions['unit']): string {
  return unit === 'bytes' ? formatBytes(value) : value.toLocaleString('en-US');
}

export function createProgress(options: ProgressOptions): Progress {
  return options.stream.isTTY ? new TerminalProgress(options) : new LineProgress(options);
}

class TerminalProgress implements Progress {
  private readonly bar: SingleBar;

  constructor(private readonly options: ProgressOptions) {
    const known = options.total !== undefined;
    this.bar = new SingleBar(
      {
        stream: options.stream as NodeJS.WritableStream,
        format: known
          ? `${options.label} [{bar}] {percentage}% | {doneText} / {totalText} | {detail} | ETA {eta_formatted}`
          : `${options.label} {doneText} | {detail} | {duration_formatted}`,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
        // Our own handlers decide what a signal means (drain, then exit).
        gracefulExit: false,
      },
      Presets.shades_classic,
    );
    this.bar.start(options.total ?? 0, 0, {
      doneText: formatAmount(0, options.unit),
      totalText: known ? formatAmount(options.total!, options.unit) : '',
      detail: '',
    });
  }

  update(done: number, detail: string): void {
    this.bar.update(done, { doneText: formatAmount(done, this.options.unit), detail });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements Progress {
  private done = 0;
  private detail = '';
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly options: ProgressOptions) {
    // A timer rather than printing from update(), so a run stalled on retries still reports.
    this.timer = setInterval(() => this.print(), options.lineIntervalMs ?? 5_000);
    this.timer.unref();
  }

  update(done: number, detail: string): void {
    this.done = done;
    this.detail = detail;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private print(): void {
    const { label, total, unit } = this.options;
    const share = total ? ` / ${formatAmount(total, unit)} (${((100 * this.done) / total).toFixed(1)}%)` : '';
    this.options.stream.write(
      `${label}: ${formatAmount(this.done, unit)}${share}${this.detail ? ` | ${this.detail}` : ''}\n`,
    );
  }
}
