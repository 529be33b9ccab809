// What a command needs from its process, passed in so tests can run commands in-process.

export interface CliOutput {
  write(chunk: string): unknown;
  /** Progress bars only make sense on a terminal. */
  isTTY?: boolean;
}

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: CliOutput;
  /** Aborting it asks the command to stop gracefully; when absent, SIGINT/SIGTERM do. */
  stop?: AbortSignal;
}

/** Exit codes shared by the ingest commands. */
export const ExitCode = {
  ok: 0,
  /** Records could not be read or delivered. */
  failed: 1,
  /** Bad flags: nothing was done. */
  usage: 2,
  /** Stopped by a signal before the requested work was done. */
  interrupted: 130,
} as const;

/** Thrown for a bad flag; the command prints it with the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function integerFlag(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
}

export function numberFlag(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max = Infinity,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(
      `--${name} must be a number from ${min}${max === Infinity ? ' up' : ` to ${max}`}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/**
 * Stops gracefully on the first SIGINT/SIGTERM (finish what is in flight) and exits at once on
 * the second, for an operator who does not want to wait.
 */
export function shutdownOnSignals(stderr: CliOutput): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      stderr.write(`\n${name} again: exiting without waiting for requests in flight\n`);
      process.exit(ExitCode.interrupted);
    }
    stderr.write(`\n${name}: finishing requests in flight (send ${name} again to exit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
