// Child processes the bench owns (killed on cleanup) and CPU accounting from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.ts';

export class Managed {
  readonly child: ChildProcess;
  readonly name: string;
  /** The last lines it printed, for errors and the warning count. */
  readonly tail: string[] = [];
  lines = 0;
  readonly exited: Promise<number | null>;
  private readonly forget: () => void;

  constructor(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.name = name;
    this.child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        this.lines++;
        this.tail.push(line);
        if (this.tail.length > 200) this.tail.shift();
      }
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.once('error', (error) => {
        this.tail.push(`cannot start ${command}: ${error.message}`);
        resolve(-1);
      });
    });
    this.forget = onCleanup(`stop ${name}`, () => this.stop());
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    this.forget();
    if (!this.alive) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Runs a command to completion and returns its output; rejects on a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const forget = onCleanup(`kill ${command}`, () => void child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs).unref()
      : undefined;
    child.once('error', (error) => {
      forget();
      reject(error);
    });
    child.once('close', (code, signal) => {
      forget();
      clearTimeout(timer);
      if (code === 0) resolve({ stdout, stderr });
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code ?? signal}: ${(stderr || stdout).trim().slice(-2000)}`,
          ),
        );
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds a process has used, or undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses: fields are counted after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: (total - idle) / TICKS_PER_SECOND, total: total / TICKS_PER_SECOND };
}

export interface CpuGroup {
  label: string;
  pids: () => number[] | Promise<number[]>;
}

export interface CpuReport {
  seconds: number;
  /** CPU seconds per group over the window; `cores` = seconds / wall seconds. */
  groups: { label: string; cpuSeconds: number; cores: number }[];
  machine: { busyCores: number; cores: number; otherCores: number };
}

/** Measures CPU per group of processes over a window (start() ... stop()). */
export class CpuMeter {
  private readonly groups: CpuGroup[];
  private startedAt = 0;
  private startMachine = machineCpu();
  private readonly startByPid = new Map<number, number>();

  constructor(groups: CpuGroup[]) {
    this.groups = groups;
  }

  async start(): Promise<void> {
    const pids = await Promise.all(this.groups.map(async (group) => group.pids()));
    this.startedAt = performance.now();
    this.startMachine = machineCpu();
    this.startByPid.clear();
    for (const pid of pids.flat()) this.startByPid.set(pid, processCpu(pid) ?? 0);
  }

  async stop(): Promise<CpuReport> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const machine = machineCpu();
    const pids = await Promise.all(this.groups.map(async (group) => group.pids()));
    const groups = this.groups.map((group, index) => {
      let used = 0;
      for (const pid of pids[index]!) {
        const now = processCpu(pid);
        if (now === undefined) continue;
        // a process started inside the window (e.g. a new Postgres backend) counts from zero
        used += now - (this.startByPid.get(pid) ?? 0);
      }
      return { label: group.label, cpuSeconds: used, cores: used / seconds };
    });
    const busy = machine.busy - this.startMachine.busy;
    const cores = (machine.total - this.startMachine.total) / seconds;
    const ours = groups.reduce((sum, g) => sum + g.cpuSeconds, 0);
    return {
      seconds,
      groups,
      machine: { busyCores: busy / seconds, cores, otherCores: Math.max(0, (busy - ours) / seconds) },
    };
  }
}

/** This process through process.cpuUsage(), others through /proc. */
const processCpu = (pid: number): number | undefined => {
  if (pid !== process.pid) return cpuSeconds(pid);
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
