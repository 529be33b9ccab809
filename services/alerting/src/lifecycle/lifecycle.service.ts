// Alert lifecycle operations: list, read with history and audit trail, acknowledge (stops escalation), resolve.
import { Inject, Injectable } from '@nestjs/common';
import type {
  AlertAcknowledgeRequest,
  AlertGetReply,
  AlertResolveRequest,
  AlertView,
  AlertsListReply,
  AlertsListRequest,
} from '@vigil/contracts';
import { Database } from '@vigil/db';
import { PermanentError } from '@vigil/messaging';
import { AlertsRepository, type AlertRow } from '../alerts/alerts.repository.js';
import { Clock } from '../clock/clock.js';
import { WorkSignals } from '../clock/work-signals.js';
import type { Tx } from '../db/tx.js';
import { EscalationsRepository } from '../escalation/escalations.repository.js';
import { GroupsRepository } from '../grouping/groups.repository.js';
import { MutingService, type MuteCheck } from '../muting/muting.service.js';
import { PolicyService } from '../policy/policy.service.js';
import { LifecycleRepository } from './lifecycle.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [unknown, unknown];
    if (typeof at === 'string' && !Number.isNaN(Date.parse(at)) && typeof id === 'string' && UUID.test(id))
      return { at, id };
  } catch {
    // reported below
  }
  throw new PermanentError('cursor is not a next_cursor this service returned');
}

export function viewOf(alert: AlertRow, mute: Pick<MuteCheck, 'silenced'>): AlertView {
  return {
    alert_id: alert.alert_id,
    fingerprint: alert.fingerprint,
    name: alert.name,
    source: alert.source,
    severity: alert.severity,
    status: alert.status,
    summary: alert.summary,
    labels: alert.labels,
    annotations: alert.annotations,
    region: alert.region,
    occurrences: alert.occurrences,
    first_seen: alert.first_seen.toISOString(),
    last_seen: alert.last_seen.toISOString(),
    assignee: alert.assignee,
    acknowledged_at: alert.acknowledged_at?.toISOString() ?? null,
    acknowledged_by: alert.acknowledged_by,
    resolved_at: alert.resolved_at?.toISOString() ?? null,
    resolved_by: alert.resolved_by,
    silenced: alert.status !== 'resolved' && mute.silenced(alert),
  };
}

@Injectable()
export class LifecycleService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(LifecycleRepository) private readonly lifecycle: LifecycleRepository,
    @Inject(AlertsRepository) private readonly alerts: AlertsRepository,
    @Inject(GroupsRepository) private readonly groups: GroupsRepository,
    @Inject(EscalationsRepository) private readonly escalations: EscalationsRepository,
    @Inject(MutingService) private readonly muting: MutingService,
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) private readonly signals: WorkSignals,
  ) {}

  async list(request: AlertsListRequest): Promise<AlertsListReply> {
    const limit = request.limit ?? 50;
    const rows = await this.lifecycle.list({
      ...(request.status ? { status: request.status } : {}),
      ...(request.severity ? { severity: request.severity } : {}),
      ...(request.source ? { source: request.source } : {}),
      limit,
      ...(request.cursor ? { cursor: decodeCursor(request.cursor) } : {}),
    });
    const mute = await this.muteCheck();
    const last = rows.at(-1);
    return {
      items: rows.map((row) => viewOf(row, mute)),
      next_cursor: rows.length === limit && last ? encodeCursor(last.cursor_at, last.alert_id) : null,
    };
  }

  async get(alertId: string): Promise<AlertGetReply> {
    const alert = await this.alerts.find(alertId);
    if (!alert) throw new PermanentError(`alert ${alertId} not found`, 404);
    const [history, notifications, mute] = await Promise.all([
      this.lifecycle.history(alertId),
      this.lifecycle.notifications(alertId),
      this.muteCheck(),
    ]);
    return {
      alert: viewOf(alert, mute),
      history: history.map((h) => ({ ...h, at: h.at.toISOString() })),
      notifications,
    };
  }

  /** Acknowledging again updates the note and assignee; an acknowledged alert's escalation stops. */
  async acknowledge(request: AlertAcknowledgeRequest): Promise<AlertView> {
    const now = this.clock.now();
    const alert = await this.db.transaction(async (client) => {
      const current = await this.lockOpen(client, request.alert_id, 'acknowledge');
      const updated = await this.lifecycle.acknowledge(
        client,
        request.alert_id,
        now,
        request.by,
        request.assignee,
      );
      await this.alerts.addHistory(client, {
        alertId: request.alert_id,
        at: now,
        action: 'acknowledged',
        actor: request.by,
        note: request.note ?? null,
        assignee: request.assignee ?? null,
        fromStatus: current.status,
        toStatus: 'acknowledged',
      });
      await this.escalations.stopIfAcknowledged(
        client,
        request.alert_id,
        now,
        `acknowledged by ${request.by}`,
      );
      return updated;
    });
    return viewOf(alert, await this.muteCheck());
  }

  async resolve(request: AlertResolveRequest): Promise<AlertView> {
    const now = this.clock.now();
    const alert = await this.db.transaction(async (client) => {
      const current = await this.lockOpen(client, request.alert_id, 'resolve');
      const updated = await this.lifecycle.resolve(client, request.alert_id, now, request.by);
      await this.alerts.addHistory(client, {
        alertId: request.alert_id,
        at: now,
        action: 'resolved',
        actor: request.by,
        note: request.note ?? null,
        fromStatus: current.status,
        toStatus: 'resolved',
      });
      await this.escalations.stopIfAcknowledged(client, request.alert_id, now, `resolved by ${request.by}`);
      // its groups report the resolution (receivers with send_resolved) and drop it
      await this.groups.pullFlushFor(client, request.alert_id, now);
      return updated;
    });
    this.signals.kick('groups');
    return viewOf(alert, await this.muteCheck());
  }

  private async lockOpen(client: Tx, alertId: string, action: string): Promise<AlertRow> {
    const current = await this.lifecycle.lock(client, alertId);
    if (!current) throw new PermanentError(`alert ${alertId} not found`, 404);
    if (current.status === 'resolved')
      throw new PermanentError(`alert ${alertId} is already resolved; cannot ${action} it`, 409);
    return current;
  }

  private muteCheck(): Promise<MuteCheck> {
    return this.muting.check(this.policy.current(), this.clock.now());
  }
}
