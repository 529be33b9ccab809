// What a command needs from its process, passed in so tests can run commands in-process.
import { hostname, userInfo } from 'node:os';
import { isAbsolute, resolve } from 'node:path';

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env?: NodeJS.ProcessEnv;
}

export const ExitCode = {
  ok: 0,
  /** The command ran and the answer is no: invalid file, refused change, broken audit chain. */
  failed: 1,
  /** Bad flags: nothing was done. */
  usage: 2,
} as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * A file argument as the user meant it: `npm run <script>` runs in the package folder, but INIT_CWD is where
 * the user typed the command.
 */
export function userPath(file: string, env: NodeJS.ProcessEnv = process.env): string {
  return isAbsolute(file) ? file : resolve(env.INIT_CWD ?? process.cwd(), file);
}

export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  let user = env.USER ?? env.USERNAME;
  try {
    user ??= userInfo().username;
  } catch {
    user ??= 'unknown';
  }
  return `${user}@${hostname()}`;
}

/** A dependency (NATS, Postgres) that did not answer: reported in one line, exit code 1. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

/** Gives up on `promise` after `ms`: a connection that retries forever must not hang a command. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new UnreachableError(`cannot reach ${what} within ${ms / 1000} s`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
