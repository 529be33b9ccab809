import { compileRoute, groupLabelsOf, matchRoutes } from './routing.js';

const tree = compileRoute(
  {
    receiver: 'default',
    group_by: ['alertname'],
    group_wait: '30s',
    routes: [
      {
        name: 'fraud',
        matchers: ['source="fraud"'],
        receiver: 'fraud-ops',
        group_by: ['alertname', 'region'],
        routes: [{ matchers: ['severity="critical"'], receiver: 'fraud-oncall', group_wait: '0s' }],
      },
      { matchers: ['source="fraud"', 'region="NG"'], receiver: 'ng-team' },
      { matchers: ['source=~"drift|data_quality"'], receiver: 'data-eng', continue: true },
      { matchers: ['source="drift"'], receiver: 'schema-owners' },
    ],
  },
  undefined,
  'root',
);

const receiversFor = (labels: Record<string, string>) => matchRoutes(tree, labels).map((r) => r.receiver);

describe('routing tree', () => {
  it('sends an alert to the deepest matching route', () => {
    expect(receiversFor({ source: 'fraud', severity: 'critical', region: 'NG' })).toEqual(['fraud-oncall']);
    expect(receiversFor({ source: 'fraud', severity: 'warning', region: 'NG' })).toEqual(['fraud-ops']);
  });

  it('stops at the first matching sibling unless it says continue', () => {
    expect(receiversFor({ source: 'drift' })).toEqual(['data-eng', 'schema-owners']);
    expect(receiversFor({ source: 'data_quality' })).toEqual(['data-eng']);
  });

  it('falls back to the root when no child matches', () => {
    expect(receiversFor({ source: 'business' })).toEqual(['default']);
  });

  it('inherits grouping and timing from the parent, names routes by path unless named', () => {
    const [oncall] = matchRoutes(tree, { source: 'fraud', severity: 'critical' });
    expect(oncall).toMatchObject({
      id: 'fraud.0',
      groupBy: ['alertname', 'region'],
      groupWaitMs: 0,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 14_400_000,
    });
    expect(matchRoutes(tree, { source: 'drift' }).map((r) => r.id)).toEqual(['root.2', 'root.3']);
  });

  it('groups by the route labels, or by every label with "..."', () => {
    const labels = { alertname: 'HighRiskTransaction', region: 'KE', account: 'C1' };
    const [fraud] = matchRoutes(tree, { ...labels, source: 'fraud', severity: 'warning' });
    expect(groupLabelsOf(fraud!, labels)).toEqual({ alertname: 'HighRiskTransaction', region: 'KE' });
    const all = compileRoute({ receiver: 'x', group_by: ['...'] }, undefined, 'root');
    expect(groupLabelsOf(all, labels)).toEqual(labels);
  });
});
