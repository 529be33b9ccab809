import { Inject, Injectable } from '@nestjs/common';
import { readScopeOf, type Principal } from '../auth/principal.js';
import { encodeCursor } from '../http/query.js';
import type { AlertFilters, AlertPageDto } from './alerts.dto.js';
import { AlertsRepository } from './alerts.repository.js';

@Injectable()
export class AlertsService {
  constructor(@Inject(AlertsRepository) private readonly alerts: AlertsRepository) {}

  /** Alerts in the caller's regions (an analyst with region claims does not see alerts without a region). */
  async list(principal: Principal, filters: AlertFilters): Promise<AlertPageDto> {
    const items = await this.alerts.list(filters, readScopeOf(principal));
    const last = items.at(-1);
    return {
      items,
      next_cursor:
        items.length === filters.limit && last ? encodeCursor(last.last_seen, last.alert_id) : null,
    };
  }
}
