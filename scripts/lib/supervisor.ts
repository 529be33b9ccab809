// Runs the dev runner's child processes: prefixed output, crash detection, restarts with backoff, ordered stop with
// a SIGKILL deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. the binary is missing). */
  error?: Error;
}

export interface StartOptions {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Receives each output line; omit to discard output (it may be going to a log file instead). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Without onLine: a file that stdout and stderr are appended to (else output is discarded). */
  outputFile?: string;
  /** Called when the process exits without having been asked to stop. */
  onUnexpectedExit?: (exit: ExitInfo) => void;
  uid?: number;
  gid?: number;
  /** How this program wants to be asked to stop (default SIGTERM), and how long to wait before SIGKILL. */
  stopSignal?: NodeJS.Signals;
  stopTimeoutMs?: number;
}

export interface StopOptions {
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}

/** How a process that exits on its own is started again. */
export interface RestartPolicy {
  /** Delay before the n-th restart in a row (n from 1): growing, capped. */
  delayMs: (attempt: number) => number;
  /** A run at least this long was stable: the next exit is restart 1 again. */
  stableAfterMs: number;
  /** Decides per exit whether to restart; when false, the options' onUnexpectedExit hears of it instead. */
  restartIf?: (exit: ExitInfo) => boolean;
  /** Told of each exit that will be restarted, before the wait. */
  onRestart?: (restart: Restart) => void;
  /** Told once the new process has been started. */
  onRestarted?: (process: ManagedProcess, restart: Restart) => void;
}

export interface Restart {
  name: string;
  exit: ExitInfo;
  /** Restarts in a row, counting this one. */
  attempt: number;
  delayMs: number;
  /** How long the process that exited had run. */
  ranForMs: number;
}

export function describeExit(exit: ExitInfo): string {
  if (exit.error) return `could not start: ${exit.error.message}`;
  if (exit.signal) return `killed by ${exit.signal}`;
  return `exit code ${exit.code}`;
}

export class ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<ExitInfo>;
  private stopRequested = false;
  private exitInfo?: ExitInfo;
  private readonly stopDefaults: Required<StopOptions>;

  constructor(name: string, options: StartOptions) {
    this.name = name;
    this.stopDefaults = {
      signal: options.stopSignal ?? 'SIGTERM',
      timeoutMs: options.stopTimeoutMs ?? 10_000,
    };
    const fileFd = !options.onLine && options.outputFile ? openSync(options.outputFile, 'a') : undefined;
    const output = options.onLine ? 'pipe' : (fileFd ?? 'ignore');
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      uid: options.uid,
      gid: options.gid,
      // Own process group: a terminal Ctrl-C reaches only the runner, which then stops children in order.
      detached: true,
      stdio: ['ignore', output, output],
    });
    // The child holds its own copy of the descriptor.
    if (fileFd !== undefined) closeSync(fileFd);
    const readersDone: Promise<void>[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = this.child[stream];
      if (!source || !options.onLine) continue;
      const onLine = options.onLine;
      const reader = createInterface({ input: source, crlfDelay: Infinity });
      reader.on('line', (line) => {
        if (line.trim() !== '') onLine(line, stream);
      });
      readersDone.push(new Promise((resolve) => reader.once('close', resolve)));
    }
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('error', (error) => resolve({ code: null, signal: null, error }));
      // 'close' rather than 'exit': all output has been read by then, so a crash report follows the last log line.
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    }).then(async (exit) => {
      await Promise.race([Promise.all(readersDone), new Promise((resolve) => setTimeout(resolve, 200))]);
      this.exitInfo = exit;
      if (!this.stopRequested) options.onUnexpectedExit?.(exit);
      return exit;
    });
  }

  get running(): boolean {
    return this.exitInfo === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends the stop signal, waits up to the stop timeout for the exit, then SIGKILLs the whole process group. */
  async stop(options: StopOptions = {}): Promise<ExitInfo & { forced: boolean }> {
    const { signal, timeoutMs } = { ...this.stopDefaults, ...options };
    this.stopRequested = true;
    if (!this.running) return { ...(await this.exited), forced: false };
    this.signal(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return { ...first, forced: false };
    this.signal('SIGKILL');
    return { ...(await this.exited), forced: true };
  }

  /** Signals the process group (the process and anything it spawned); never throws. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      try {
        this.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** Marks the process as being stopped by its owner, so its exit is not reported as a crash. */
  expectExit(): void {
    this.stopRequested = true;
  }
}

/** Keeps every process the runner started, so none outlives it even when the runner itself fails. */
export class Supervisor {
  private readonly processes: ManagedProcess[] = [];
  private readonly pendingRestarts = new Set<NodeJS.Timeout>();
  private closed = false;

  /** Starts a process in its own process group. Refused once `close` was called (shutdown has begun). */
  start(name: string, options: StartOptions): ManagedProcess {
    if (this.closed) throw new Error(`not starting ${name}: shutting down`);
    const managed = new ManagedProcess(name, options);
    this.processes.push(managed);
    return managed;
  }

  /**
   * Starts a process and starts it again, after `policy.delayMs(attempt)`, each time it exits without having been
   * asked to stop. Nothing restarts once `close` was called; a restart waiting then is dropped.
   */
  keepRunning(name: string, options: StartOptions, policy: RestartPolicy): ManagedProcess {
    let attempt = 0;
    const launch = (): ManagedProcess => {
      const startedAt = Date.now();
      const managed: ManagedProcess = this.start(name, {
        ...options,
        onUnexpectedExit: (exit) => {
          if (this.closed) return;
          if (policy.restartIf && !policy.restartIf(exit)) {
            options.onUnexpectedExit?.(exit);
            return;
          }
          const ranForMs = Date.now() - startedAt;
          attempt = ranForMs >= policy.stableAfterMs ? 1 : attempt + 1;
          const restart: Restart = { name, exit, attempt, delayMs: policy.delayMs(attempt), ranForMs };
          policy.onRestart?.(restart);
          const timer = setTimeout(() => {
            this.pendingRestarts.delete(timer);
            if (this.closed) return;
            // a process that crashes for days must not leave a record of every run behind
            this.processes.splice(this.processes.indexOf(managed), 1);
            const next = launch();
            policy.onRestarted?.(next, restart);
          }, restart.delayMs);
          this.pendingRestarts.add(timer);
        },
      });
      return managed;
    };
    return launch();
  }

  get(name: string): ManagedProcess | undefined {
    return (
      this.processes.find((p) => p.name === name && p.running) ??
      this.processes.findLast((p) => p.name === name)
    );
  }

  /** Names of the processes still running, in start order. */
  names(): string[] {
    return this.processes.filter((p) => p.running).map((p) => p.name);
  }

  /** No more starts or restarts (shutdown has begun); restarts waiting are dropped. */
  close(): void {
    this.closed = true;
    for (const timer of this.pendingRestarts) clearTimeout(timer);
    this.pendingRestarts.clear();
  }

  /** For a synchronous 'exit' handler: asks every live child to terminate; cannot wait for them. */
  terminateAllNow(): void {
    this.signalAll('SIGTERM');
  }

  /** When the user insists (a second Ctrl-C): no more waiting. */
  killAllNow(): void {
    this.close();
    this.signalAll('SIGKILL');
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const managed of this.processes) {
      if (!managed.running) continue;
      managed.expectExit();
      managed.signal(signal);
    }
  }
}
