import { RecentBuckets, summarise, viewKey, type RollupSnapshot, type SummaryView } from './rollup.js';
import type { VolumeRow } from './summary.repository.js';

const MINUTE = 60_000;
const now = Date.parse('2026-03-01T12:30:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const newVolume = (overrides: Partial<VolumeRow> = {}): VolumeRow => ({
  bucket: iso(now),
  region: 'NG',
  partner_id: null,
  received: 10,
  scored: 10,
  flagged: 1,
  validated: 10,
  quarantined: 0,
  ...overrides,
});

const newSnapshot = (overrides: Partial<RollupSnapshot> = {}): RollupSnapshot => ({
  minute: now,
  refreshedAt: iso(now + 5_000),
  refreshMs: 3,
  volume: [
    newVolume(),
    newVolume({ region: 'KE', bucket: iso(now - MINUTE + 50_000), received: 4, scored: 4, flagged: 0 }),
    newVolume({ partner_id: 'partner-a', received: 2, scored: 2, flagged: 1, validated: 2, quarantined: 1 }),
    newVolume({ partner_id: 'partner-b', received: 7, scored: 7, flagged: 0 }),
  ],
  dataQuality: [
    { region: 'NG', records: 19, passed: 18 },
    { region: 'KE', records: 4, passed: 4 },
  ],
  alertCounts: [
    { severity: 'critical', region: 'NG', partner_id: null, open: 2 },
    { severity: 'warning', region: 'KE', partner_id: null, open: 1 },
  ],
  openAlerts: [
    {
      alert_id: '00000000-0000-4000-8000-000000000001',
      name: 'HighRiskTransaction',
      severity: 'critical',
      summary: 'takeover',
      labels: {},
      region: 'NG',
      partner_id: null,
      occurrences: 1,
      last_seen: iso(now),
      transaction_id: 'txn-1',
    },
  ],
  forecasts: [{ region: 'KE', bucket_start: iso(now), actual: 4, forecast: 5, lower: 2, upper: 8 }],
  health: { status: 'ok', checks: { nats: 'ok', postgres: 'ok' }, stream_lag: { validator: 0 } },
  ...overrides,
});

const staff: SummaryView = {
  partnerId: null,
  regions: null,
  alerts: true,
  forecasts: true,
  dataQuality: true,
  health: true,
};
const partnerA: SummaryView = {
  partnerId: 'partner-a',
  regions: null,
  alerts: false,
  forecasts: false,
  dataQuality: false,
  health: false,
};

describe('summarise', () => {
  it('gives staff every region, the fraud rate, DQ from the windows and the open alerts', () => {
    const summary = summarise(newSnapshot(), staff);
    expect(summary.volume.transactions).toBe(23);
    expect(summary.volume.last_minute).toBe(19);
    expect(summary.volume.per_minute).toHaveLength(60);
    expect(summary.volume.per_minute.at(-2)).toBe(4);
    expect(summary.volume.first_minute).toBe(iso(now - 59 * MINUTE));
    expect(summary.fraud).toMatchObject({ scored: 23, flagged: 2, rate: 0.087 });
    expect(summary.data_quality).toEqual({
      source: 'dq_windows',
      records: 23,
      passed: 22,
      pass_rate: 0.9565,
    });
    expect(summary.alerts?.open).toEqual({ critical: 2, warning: 1, info: 0, total: 3 });
    expect(summary.regions.map((r) => [r.region, r.transactions, r.open_alerts])).toEqual([
      ['NG', 19, 2],
      ['KE', 4, 1],
    ]);
    expect(summary.forecast).toEqual([
      { region: 'KE', points: [{ bucket_start: iso(now), actual: 4, forecast: 5, lower: 2, upper: 8 }] },
    ]);
    expect(summary.health?.checks).toEqual({ nats: 'ok', postgres: 'ok' });
  });

  it('gives a partner only its own transactions, its own verdicts and no alerts, forecast or health', () => {
    const summary = summarise(newSnapshot(), partnerA);
    expect(summary.volume.transactions).toBe(2);
    expect(summary.fraud).toMatchObject({ scored: 2, flagged: 1, rate: 0.5 });
    expect(summary.data_quality).toEqual({ source: 'own_records', records: 2, passed: 1, pass_rate: 0.5 });
    expect(summary.regions).toEqual([
      expect.objectContaining({ region: 'NG', transactions: 2, dq_pass_rate: 0.5, open_alerts: null }),
    ]);
    expect([summary.alerts, summary.forecast, summary.health]).toEqual([null, null, null]);
  });

  it('confines a regional analyst to its regions, alerts included', () => {
    const summary = summarise(newSnapshot(), { ...staff, regions: ['KE'] });
    expect(summary.volume.transactions).toBe(4);
    expect(summary.alerts?.open.total).toBe(1);
    expect(summary.alerts?.latest).toEqual([]);
    expect(summary.regions.map((r) => r.region)).toEqual(['KE']);
  });

  it('keys views by scope and sections, whatever the order of regions', () => {
    expect(viewKey({ ...staff, regions: ['NG', 'KE'] })).toBe(viewKey({ ...staff, regions: ['KE', 'NG'] }));
    expect(viewKey(staff)).not.toBe(viewKey({ ...staff, alerts: false }));
    expect(viewKey(partnerA)).not.toBe(viewKey({ ...partnerA, partnerId: 'partner-b' }));
  });
});

describe('RecentBuckets', () => {
  it('replaces the re-read buckets, keeps the older ones and forgets those out of the window', () => {
    const buckets = new RecentBuckets();
    buckets.replaceFrom(now - 59 * MINUTE, [newVolume({ bucket: iso(now - 59 * MINUTE) }), newVolume()], now);
    buckets.replaceFrom(now - 20_000, [newVolume({ received: 11, scored: 11 })], now);
    expect(buckets.all().map((r) => r.received)).toEqual([10, 11]);
    expect(buckets.oldestUnsettled()).toBeUndefined();
    buckets.replaceFrom(now - 20_000, [newVolume({ received: 11, scored: 9, quarantined: 1 })], now);
    expect(buckets.oldestUnsettled()).toBe(now);
    // a minute later: the oldest bucket has left the hour; the re-read range was empty this time
    buckets.replaceFrom(now + MINUTE - 20_000, [], now + MINUTE);
    expect(buckets.all().map((r) => r.received)).toEqual([11]);
  });
});
