import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  Requests,
  type AlertView,
  type ForecastsReply,
  type RequestSpec,
  type Silence,
} from '@vigil/contracts';
import { JetStreamClient } from '@vigil/messaging';
import { readScopeOf, type Principal } from '../auth/principal.js';
import { encodeCursor } from '../http/query.js';
import { requestService } from '../http/service-request.js';
import type { AcknowledgeBody, AlertFilters, AlertPageDto, ResolveBody, SilenceBody } from './alerts.dto.js';
import { AlertsRepository } from './alerts.repository.js';
import type { ForecastQuery } from './forecasts.dto.js';

@Injectable()
export class AlertsService {
  constructor(
    @Inject(AlertsRepository) private readonly alerts: AlertsRepository,
    @Inject(JetStreamClient) private readonly client: JetStreamClient,
  ) {}

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

  async acknowledge(principal: Principal, alertId: string, body: AcknowledgeBody): Promise<AlertView> {
    await this.mustSee(principal, alertId);
    return this.ask(Requests.alertAcknowledge, { alert_id: alertId, by: principal.subject, ...body });
  }

  async resolve(principal: Principal, alertId: string, body: ResolveBody): Promise<AlertView> {
    await this.mustSee(principal, alertId);
    return this.ask(Requests.alertResolve, { alert_id: alertId, by: principal.subject, ...body });
  }

  async silence(principal: Principal, alertId: string, body: SilenceBody): Promise<Silence> {
    await this.mustSee(principal, alertId);
    return this.ask(Requests.silenceCreate, { alert_id: alertId, created_by: principal.subject, ...body });
  }

  /** An analyst limited to regions sees the region series of those regions only. */
  async forecasts(principal: Principal, query: ForecastQuery): Promise<ForecastsReply> {
    const reply = await this.ask(Requests.forecasts, query);
    const regions = readScopeOf(principal).regions;
    if (!regions) return reply;
    return {
      ...reply,
      series: reply.series.filter((s) => s.dimension === 'region' && regions.includes(s.value)),
    };
  }

  /** Alerting's 4xx answers pass on; its 5xx, a timeout or no responder become 503 with Retry-After. */
  private ask<Req, Rep>(spec: RequestSpec<Req, Rep>, payload: Req): Promise<Rep> {
    return requestService(this.client, spec, payload, {
      unavailable: () => 'alerting is unavailable; retry later',
    });
  }

  // out of scope reads as absent, as for transactions
  private async mustSee(principal: Principal, alertId: string): Promise<void> {
    if (!(await this.alerts.inScope(alertId, readScopeOf(principal))))
      throw new NotFoundException(`alert ${alertId} not found`);
  }
}
