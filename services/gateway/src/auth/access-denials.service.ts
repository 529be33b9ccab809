// The audit trail of refused requests, counted per minute: a refusal is added to its window in memory and
// the windows are written once a second in one statement, so a flood of 401s costs a few rows and one
// write a second rather than a row and a write each. Writing happens in the background: a slow or failing
// write never changes the answer the caller gets; a failed write is logged instead.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import {
  AccessDenialsRepository,
  type AccessDenial,
  type AccessDenialRow,
  type AccessDenialWindow,
} from './access-denials.repository.js';
import type { AccessDenialsQuery } from './identity.dto.js';

export interface AccessDenialsPage {
  items: (Omit<AccessDenialRow, 'window_start' | 'first_seen' | 'last_seen'> & {
    window_start: string;
    first_seen: string;
    last_seen: string;
  })[];
  /** Pass as `before` for the next (older) page; null on the last page. */
  next_before: string | null;
}

const FLUSH_INTERVAL_MS = 1000;
/** Windows held between two writes; beyond that a write starts at once, so memory stays bounded. */
const MAX_PENDING_WINDOWS = 2000;
const MINUTE_MS = 60_000;
export const OVERFLOW_REASON =
  'more distinct refusals than the audit holds between two writes: counted here without their principal, address and route';

const minuteOf = (at: Date): Date => new Date(Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS);

/** The window a refusal is counted in when there is no room for its own: one per minute and status. */
const overflowOf = (denial: AccessDenial): AccessDenial => ({
  subject: null,
  kind: null,
  role: null,
  method: '*',
  path: '*',
  permission: null,
  status: denial.status,
  reason: OVERFLOW_REASON,
  remote_address: null,
  request_id: denial.request_id,
});

const keyOf = (denial: AccessDenial, now: Date): string =>
  JSON.stringify([
    minuteOf(now).getTime(),
    denial.subject,
    denial.kind,
    denial.role,
    denial.method,
    denial.path,
    denial.permission,
    denial.status,
    denial.reason,
    denial.remote_address,
  ]);

@Injectable()
export class AccessDenialsService implements OnModuleDestroy {
  private pending = new Map<string, AccessDenialWindow>();
  private flushing: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    @Inject(AccessDenialsRepository) private readonly repository: AccessDenialsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  record(denial: AccessDenial, now = new Date()): void {
    if (this.pending.size >= MAX_PENDING_WINDOWS && !this.pending.has(keyOf(denial, now))) {
      if (this.flushing) {
        // still full while the previous write runs: counted without its details rather than held without bound
        this.add(overflowOf(denial), now);
        return;
      }
      void this.flush();
    }
    this.add(denial, now);
  }

  /** Writes the windows gathered so far; resolves once they (and any write already running) are stored. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    const windows = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.repository
      .addWindows(windows)
      .catch((error: unknown) => {
        this.logger.error(
          { err: error, windows: windows.length },
          'could not write the access denial audit windows',
        );
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private add(denial: AccessDenial, now: Date): void {
    const key = keyOf(denial, now);
    const window = this.pending.get(key);
    if (window) {
      window.count++;
      window.last_seen = now;
      window.request_id = denial.request_id ?? window.request_id;
      return;
    }
    this.pending.set(key, {
      ...denial,
      window_start: minuteOf(now),
      count: 1,
      first_seen: now,
      last_seen: now,
    });
  }

  async list(query: AccessDenialsQuery): Promise<AccessDenialsPage> {
    const rows = await this.repository.list(query.limit, query.before ?? null);
    return {
      items: rows.map((row) => ({
        ...row,
        window_start: row.window_start.toISOString(),
        first_seen: row.first_seen.toISOString(),
        last_seen: row.last_seen.toISOString(),
      })),
      next_before: rows.length === query.limit ? rows[rows.length - 1]!.id : null,
    };
  }
}
