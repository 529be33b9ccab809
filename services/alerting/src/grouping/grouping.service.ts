// Routes a new alert through the policy's tree into notification groups, in the transaction that opened it.
import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Tx } from '../db/tx.js';
import { PolicyService } from '../policy/policy.service.js';
import { routingLabels, type RoutableAlert } from '../policy/policy.js';
import { groupLabelsOf } from '../policy/routing.js';
import { GroupsRepository } from './groups.repository.js';

export function groupKeyOf(routeId: string, receiver: string, labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join('\n');
  return `${routeId}|${receiver}|${createHash('sha256').update(canonical).digest('hex').slice(0, 24)}`;
}

@Injectable()
export class GroupingService {
  constructor(
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(GroupsRepository) private readonly groups: GroupsRepository,
  ) {}

  /** Puts the alert into the group of every route that takes it; returns how many. */
  async route(client: Tx, alertId: string, alert: RoutableAlert, now: Date): Promise<number> {
    const routes = this.policy.current().match(alert);
    for (const route of routes) {
      // "..." groups by the alert's own labels; named labels may also be source or severity
      const labels = groupLabelsOf(route, route.groupBy === 'all' ? alert.labels : routingLabels(alert));
      await this.groups.join(
        client,
        {
          key: groupKeyOf(route.id, route.receiver, labels),
          routeId: route.id,
          receiver: route.receiver,
          labels,
        },
        alertId,
        route,
        now,
      );
    }
    return routes.length;
  }
}
