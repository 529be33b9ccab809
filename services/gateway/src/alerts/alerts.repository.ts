// Reads the alerts that the alerting service owns (read only).
import { Inject, Injectable } from '@nestjs/common';
import { Database, composeQuery, fragment, sql, type ComposedQuery, type Fragment } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { AlertDto, AlertFilters } from './alerts.dto.js';

/** A row is already the response shape; an alias rather than the class, so it fits pg's row type. */
type AlertRow = Pick<AlertDto, keyof AlertDto>;

// Timestamps as RFC 3339 text with microseconds: the keyset cursor must not lose precision. The statement holds
// only the filters given (fixed fragments, composed), newest first on alerts_recent (last_seen, alert_id).
const LIST_HEAD = `SELECT alert_id::text AS alert_id, fingerprint, name, severity, summary, labels, status, occurrences,
          to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first_seen,
          to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_seen,
          region
     FROM alerting.alerts
    WHERE`;

export function listAlertsStatement(filters: AlertFilters, scope: ReadScope): ComposedQuery {
  const conditions: Fragment[] = [];
  if (scope.partnerId !== null) conditions.push(fragment('partner', 'partner_id = $1', scope.partnerId));
  if (scope.regions !== null) conditions.push(fragment('regions', 'region = ANY($1::text[])', scope.regions));
  if (filters.status !== undefined) conditions.push(fragment('status', 'status = $1', filters.status));
  if (filters.severity !== undefined)
    conditions.push(fragment('severity', 'severity = $1', filters.severity));
  if (filters.cursor !== undefined)
    conditions.push(
      fragment(
        'cursor',
        '(last_seen, alert_id) < ($1::timestamptz, $2::uuid)',
        filters.cursor.at,
        filters.cursor.id,
      ),
    );
  return composeQuery('gateway.list_alerts', [
    LIST_HEAD,
    conditions,
    fragment('page', 'ORDER BY last_seen DESC, alert_id DESC\n    LIMIT $1', filters.limit),
  ]);
}

const inScope = sql(
  'gateway.alert_in_scope',
  `SELECT 1 AS found FROM alerting.alerts
    WHERE alert_id = $1 AND ($2::text IS NULL OR partner_id = $2) AND ($3::text[] IS NULL OR region = ANY($3))`,
);

@Injectable()
export class AlertsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  list(filters: AlertFilters, scope: ReadScope): Promise<AlertRow[]> {
    const { query, values } = listAlertsStatement(filters, scope);
    return this.db.query<AlertRow>(query, values);
  }

  async inScope(alertId: string, scope: ReadScope): Promise<boolean> {
    return (await this.db.query(inScope, [alertId, scope.partnerId, scope.regions])).length > 0;
  }
}
