// Lets one part say "work is due for job X" without depending on the worker that does it (no injection cycles),
// and lets a test that moves a manual clock run a job and wait for it.
import { Injectable } from '@nestjs/common';

export type Job = 'groups' | 'escalations' | 'deliveries' | 'forecasts' | 'maintenance';

interface Runnable {
  kick(): void;
  runNow(): Promise<void>;
}

@Injectable()
export class WorkSignals {
  private readonly workers = new Map<Job, Runnable>();

  register(job: Job, worker: Runnable): void {
    this.workers.set(job, worker);
  }

  kick(job: Job): void {
    this.workers.get(job)?.kick();
  }

  async runNow(job: Job): Promise<void> {
    await this.workers.get(job)?.runNow();
  }
}
