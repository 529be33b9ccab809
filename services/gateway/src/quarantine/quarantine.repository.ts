// Reads the records the validator holds in quarantine (read only; the validator owns validator.quarantine).
import { Inject, Injectable } from '@nestjs/common';
import { Database, composeQuery, fragment, sql, type ComposedQuery, type Fragment } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { QuarantineFilters, QuarantinedRecordDto } from './quarantine.dto.js';

type QuarantineRow = Pick<QuarantinedRecordDto, keyof QuarantinedRecordDto>;

const COLUMNS = `transaction_id, source, partner_id, region, reasons, record,
  to_char(quarantined_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS quarantined_at,
  rule_set_version, replay_attempt AS replay_attempts`;

// Held records newest first on quarantine_held / quarantine_partner_held (quarantined_at, transaction_id, partial
// on released_at IS NULL); the statement holds only the filters given (fixed fragments, composed).
export function listHeldStatement(filters: QuarantineFilters, scope: ReadScope): ComposedQuery {
  const conditions: Fragment[] = [fragment('held', 'released_at IS NULL')];
  if (scope.partnerId !== null) conditions.push(fragment('partner', 'partner_id = $1', scope.partnerId));
  if (scope.regions !== null) conditions.push(fragment('regions', 'region = ANY($1::text[])', scope.regions));
  if (filters.source !== undefined) conditions.push(fragment('source', 'source = $1', filters.source));
  if (filters.region !== undefined) conditions.push(fragment('region', 'region = $1', filters.region));
  if (filters.rule !== undefined)
    conditions.push(
      fragment('rule', "reasons @> jsonb_build_array(jsonb_build_object('code', $1::text))", filters.rule),
    );
  if (filters.from !== undefined)
    conditions.push(fragment('from', 'quarantined_at >= $1::timestamptz', filters.from));
  if (filters.to !== undefined)
    conditions.push(fragment('to', 'quarantined_at < $1::timestamptz', filters.to));
  if (filters.cursor !== undefined)
    conditions.push(
      fragment(
        'cursor',
        '(quarantined_at, transaction_id) < ($1::timestamptz, $2::text)',
        filters.cursor.at,
        filters.cursor.id,
      ),
    );
  return composeQuery('gateway.list_quarantine', [
    `SELECT ${COLUMNS}\n     FROM validator.quarantine\n    WHERE`,
    conditions,
    fragment('page', 'ORDER BY quarantined_at DESC, transaction_id DESC\n    LIMIT $1', filters.limit),
  ]);
}

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
    const { query, values } = listHeldStatement(filters, scope);
    return this.db.query<QuarantineRow>(query, values);
  }

  find(ids: string[], scope: ReadScope): Promise<(QuarantineRow & { released: boolean })[]> {
    return this.db.query<QuarantineRow & { released: boolean }>(findHeld, [
      ids,
      scope.partnerId,
      scope.regions,
    ]);
  }
}
