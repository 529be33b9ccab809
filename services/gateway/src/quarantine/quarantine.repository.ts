// Reads the records the validator holds in quarantine (read only; the validator owns validator.quarantine).
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { QuarantineFilters, QuarantinedRecordDto } from './quarantine.dto.js';

type QuarantineRow = Pick<QuarantinedRecordDto, keyof QuarantinedRecordDto>;

const COLUMNS = `transaction_id, source, partner_id, region, reasons, record,
  to_char(quarantined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS quarantined_at,
  rule_set_version, replay_attempt AS replay_attempts`;

const listHeld = sql(
  'gateway.list_quarantine',
  `SELECT ${COLUMNS}
     FROM validator.quarantine
    WHERE released_at IS NULL
      AND ($1::text IS NULL OR partner_id = $1)
      AND ($2::text[] IS NULL OR region = ANY($2))
      AND ($3::text IS NULL OR source = $3)
      AND ($4::text IS NULL OR region = $4)
      AND ($5::text IS NULL OR reasons @> jsonb_build_array(jsonb_build_object('code', $5::text)))
      AND ($6::timestamptz IS NULL OR quarantined_at >= $6)
      AND ($7::timestamptz IS NULL OR quarantined_at < $7)
      AND ($8::timestamptz IS NULL OR (quarantined_at, transaction_id) < ($8::timestamptz, $9::text))
    ORDER BY quarantined_at DESC, transaction_id DESC
    LIMIT $10`,
);

// a record out of the caller's scope reads as absent
const findHeld = sql(
  'gateway.find_quarantined',
  `SELECT ${COLUMNS}, released_at IS NOT NULL AS released
     FROM validator.quarantine
    WHERE transaction_id = ANY($1)
      AND ($2::text IS NULL OR partner_id = $2)
      AND ($3::text[] IS NULL OR region = ANY($3))`,
);

@Injectable()
export class QuarantineRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  list(filters: QuarantineFilters, scope: ReadScope): Promise<QuarantineRow[]> {
    return this.db.query<QuarantineRow>(listHeld, [
      scope.partnerId,
      scope.regions,
      filters.source ?? null,
      filters.region ?? null,
      filters.rule ?? null,
      filters.from ?? null,
      filters.to ?? null,
      filters.cursor?.at ?? null,
      filters.cursor?.id ?? null,
      filters.limit,
    ]);
  }

  find(ids: string[], scope: ReadScope): Promise<(QuarantineRow & { released: boolean })[]> {
    return this.db.query<QuarantineRow & { released: boolean }>(findHeld, [
      ids,
      scope.partnerId,
      scope.regions,
    ]);
  }
}
