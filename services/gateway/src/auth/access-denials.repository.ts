import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

export interface AccessDenial {
  subject: string | null;
  kind: string | null;
  role: string | null;
  method: string;
  /** The route as the router matched it, e.g. /v1/transactions/:id. */
  path: string;
  permission: string | null;
  status: 401 | 403;
  reason: string;
  remote_address: string | null;
  request_id: string | null;
}

/** Refusals of one minute that share everything but their time and request id, counted. */
export interface AccessDenialWindow extends AccessDenial {
  window_start: Date;
  count: number;
  first_seen: Date;
  last_seen: Date;
}

export interface AccessDenialRow extends AccessDenialWindow {
  id: string;
}

const COLUMNS = `window_start, subject, kind, role, method, path, permission, status, reason, remote_address,
   count, first_seen, last_seen, request_id`;

// one statement per flush, whatever the number of windows in it; a window seen before (another replica, an
// earlier flush) adds its count and widens its first and last seen
const upsertWindows = sql(
  'gateway.upsert_access_denial_windows',
  `INSERT INTO gateway.access_denials (${COLUMNS})
   SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                        $8::smallint[], $9::text[], $10::text[], $11::bigint[], $12::timestamptz[],
                        $13::timestamptz[], $14::text[])
   ON CONFLICT (window_start, subject, kind, role, method, path, permission, status, reason, remote_address)
   DO UPDATE SET count = access_denials.count + excluded.count,
                 first_seen = least(access_denials.first_seen, excluded.first_seen),
                 last_seen = greatest(access_denials.last_seen, excluded.last_seen),
                 request_id = CASE WHEN excluded.last_seen >= access_denials.last_seen
                                   THEN excluded.request_id ELSE access_denials.request_id END`,
);
const listDenials = sql(
  'gateway.list_access_denials',
  `SELECT id::text, ${COLUMNS}
     FROM gateway.access_denials
    WHERE $1::bigint IS NULL OR id < $1::bigint
    ORDER BY id DESC
    LIMIT $2`,
);

@Injectable()
export class AccessDenialsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Adds the windows' counts; each window must appear once. */
  async addWindows(windows: readonly AccessDenialWindow[]): Promise<void> {
    if (windows.length === 0) return;
    const column = <K extends keyof AccessDenialWindow>(key: K) => windows.map((w) => w[key]);
    await this.db.query(upsertWindows, [
      column('window_start'),
      column('subject'),
      column('kind'),
      column('role'),
      column('method'),
      column('path'),
      column('permission'),
      column('status'),
      column('reason'),
      column('remote_address'),
      column('count'),
      column('first_seen'),
      column('last_seen'),
      column('request_id'),
    ]);
  }

  /** Newest window first; `before` is the id of the last row of the previous page. */
  async list(limit: number, before: string | null): Promise<AccessDenialRow[]> {
    const rows = await this.db.query<AccessDenialRow & { count: string | number }>(listDenials, [
      before,
      limit,
    ]);
    return rows.map((row) => ({ ...row, count: Number(row.count) }));
  }
}
