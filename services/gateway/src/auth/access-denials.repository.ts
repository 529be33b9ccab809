import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

export interface AccessDenial {
  subject: string | null;
  kind: string | null;
  role: string | null;
  method: string;
  path: string;
  permission: string | null;
  status: 401 | 403;
  reason: string;
  remote_address: string | null;
  request_id: string | null;
}

export interface AccessDenialRow extends AccessDenial {
  id: string;
  at: Date;
}

const insertDenial = sql(
  'gateway.insert_access_denial',
  `INSERT INTO gateway.access_denials
     (subject, kind, role, method, path, permission, status, reason, remote_address, request_id)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
);
const listDenials = sql(
  'gateway.list_access_denials',
  `SELECT id::text, at, subject, kind, role, method, path, permission, status, reason, remote_address, request_id
     FROM gateway.access_denials
    WHERE $1::bigint IS NULL OR id < $1::bigint
    ORDER BY id DESC
    LIMIT $2`,
);

@Injectable()
export class AccessDenialsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(d: AccessDenial): Promise<void> {
    await this.db.query(insertDenial, [
      d.subject,
      d.kind,
      d.role,
      d.method,
      d.path,
      d.permission,
      d.status,
      d.reason,
      d.remote_address,
      d.request_id,
    ]);
  }

  /** Newest first; `before` is the id of the last row of the previous page. */
  list(limit: number, before: string | null): Promise<AccessDenialRow[]> {
    return this.db.query<AccessDenialRow>(listDenials, [before, limit]);
  }
}
