// Reads the alerts that the alerting service owns (read only).
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { AlertDto, AlertFilters } from './alerts.dto.js';

/** A row is already the response shape; an alias rather than the class, so it fits pg's row type. */
type AlertRow = Pick<AlertDto, keyof AlertDto>;

// Timestamps as RFC 3339 text with microseconds: the keyset cursor must not lose precision.
const listAlerts = sql(
  'gateway.list_alerts',
  `SELECT alert_id::text AS alert_id, fingerprint, name, severity, summary, labels, status, occurrences,
          to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS first_seen,
          to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_seen,
          region
     FROM alerting.alerts
    WHERE ($1::text IS NULL OR partner_id = $1)
      AND ($2::text[] IS NULL OR region = ANY($2))
      AND ($3::text IS NULL OR status = $3)
      AND ($4::text IS NULL OR severity = $4)
      AND ($5::timestamptz IS NULL OR (last_seen, alert_id) < ($5::timestamptz, $6::uuid))
    ORDER BY last_seen DESC, alert_id DESC
    LIMIT $7`,
);

const inScope = sql(
  'gateway.alert_in_scope',
  `SELECT 1 AS found FROM alerting.alerts
    WHERE alert_id = $1 AND ($2::text IS NULL OR partner_id = $2) AND ($3::text[] IS NULL OR region = ANY($3))`,
);

@Injectable()
export class AlertsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  list(filters: AlertFilters, scope: ReadScope): Promise<AlertRow[]> {
    return this.db.query<AlertRow>(listAlerts, [
      scope.partnerId,
      scope.regions,
      filters.status ?? null,
      filters.severity ?? null,
      filters.cursor?.at ?? null,
      filters.cursor?.id ?? null,
      filters.limit,
    ]);
  }

  async inScope(alertId: string, scope: ReadScope): Promise<boolean> {
    return (await this.db.query(inScope, [alertId, scope.partnerId, scope.regions])).length > 0;
  }
}
