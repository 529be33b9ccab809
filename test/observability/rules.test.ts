// The chart's Prometheus rules and Grafana dashboards as files: promtool checks the rules and runs their unit
// tests (the fast-burn page on a synthetic series), and every dashboard is JSON whose queries parse.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RULES_FILE, binary, dashboardQueries, dashboards, metricNamesIn } from './support.js';

const promtool = () => binary('PROMTOOL_BIN', "promtool (Debian's prometheus package)");

const run = (args: string[]) => {
  const result = spawnSync(promtool(), args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
};

describe('the shipped Prometheus rules', () => {
  it('pass promtool check rules', () => {
    const { status, output } = run(['check', 'rules', RULES_FILE]);
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringMatching(/SUCCESS: \d+ rules found/),
    });
  });

  it('fire the fast-burn page on a synthetic error burst, stay quiet at the budget, and page on a stalled partition (promtool test rules)', () => {
    const { status, output } = run([
      'test',
      'rules',
      join(import.meta.dirname, 'fixtures/burn-rate.test.yaml'),
    ]);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('define the three burn-rate pairs for both ingest SLOs', () => {
    const text = readFileSync(RULES_FILE, 'utf8');
    for (const slo of ['vigil:ingest_error_ratio', 'vigil:ingest_slow_ratio'])
      for (const [long, short, factor] of [
        ['1h', '5m', '14.4'],
        ['6h', '30m', '6'],
        ['3d', '6h', '1'],
      ])
        expect(text).toContain(
          `${slo}:rate${long} > (${factor} * ${slo.endsWith('error_ratio') ? '0.001' : '0.01'})\n            and\n          ${slo}:rate${short} > (${factor} *`,
        );
  });
});

describe('the shipped Grafana dashboards', () => {
  it('are the five dashboards, each valid JSON with a unique uid and panels that query Prometheus', () => {
    const all = dashboards();
    expect(all.map((d) => d.file).sort()).toEqual(
      [
        'alerting.json',
        'data-quality.json',
        'fraud.json',
        'pipeline-overview.json',
        'service-red.json',
      ].sort(),
    );
    expect(new Set(all.map((d) => d.dashboard.uid)).size).toBe(all.length);
    for (const { dashboard } of all) expect(dashboard.panels.length).toBeGreaterThan(3);
    expect(dashboardQueries().every((q) => metricNamesIn(q.expr).length > 0)).toBe(true);
  });

  it('read metric names out of PromQL, leaving functions, keywords, labels and ranges out', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, consumer) (rate(vigil_jetstream_ack_latency_seconds_bucket{service=~"$service"}[$__rate_interval]))) / on (x) up',
      ),
    ).toEqual(['vigil_jetstream_ack_latency_seconds_bucket', 'up']);
  });
});
