// Business triggers on forecast demand: three weeks of generated hourly demand with daily and weekly seasonality
// and one injected spike flow through NATS into the demand series; a manual clock then walks the rest of the third
// week hour by hour. The campaign trigger must fire once, for the spike, and never on a normal day; MAPE is printed.
import 'reflect-metadata';
import { Requests, type AlertingPolicy, type CampaignTrigger } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { WorkSignals } from '../src/clock/work-signals.js';
import { AlertingHarness, HttpRecorder, ManualClock, newScored } from './support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A Monday, 00:00 UTC. */
const START = Date.parse('2026-01-05T00:00:00Z');
const DAYS = 21;
/** Thursday of the third week, 14:00 to 17:00: demand at 2.5 times its usual level. */
const SPIKE_DAY = 17;
const SPIKE_HOURS = [14, 15, 16];
const SERIES = 'merchant_category:5411:count';
/** Two weeks start the weekly season; the model is then judged on a day it was not started from. */
const JUDGING_FROM_DAY = 15;

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Grocery payments per hour: busy afternoons, quieter weekends, +-5% noise, and the spike. */
function demand(): number[] {
  const next = random(42);
  return Array.from({ length: DAYS * 24 }, (_, t) => {
    const hour = t % 24;
    const day = Math.floor(t / 24);
    const shape = 20 + 15 * Math.sin(((hour - 8) / 24) * 2 * Math.PI);
    const weekly = day % 7 >= 5 ? 0.6 : 1;
    const spike = day === SPIKE_DAY && SPIKE_HOURS.includes(hour) ? 2.5 : 1;
    return Math.round(shape * weekly * spike * (1 + (next() - 0.5) * 0.1));
  });
}

describe('demand forecasts and business triggers', () => {
  let harness: AlertingHarness;
  let campaigns: HttpRecorder;
  const clock = new ManualClock(new Date(START + JUDGING_FROM_DAY * DAY + 10 * 60_000));
  const signals = new WorkSignals();
  const counts = demand();

  beforeAll(async () => {
    harness = await AlertingHarness.start();
    campaigns = await HttpRecorder.start('/campaigns/trigger');
    const policy: AlertingPolicy = {
      channels: { campaigns: { type: 'webhook', url: campaigns.url } },
      receivers: { default: { channels: ['default-webhook'] } },
      route: { receiver: 'default', group_wait: '0s' },
      forecasting: { history: '35d', holdout: '1d', prediction_interval: 0.99, lateness: '5m' },
      triggers: [
        {
          id: 'groceries-surge',
          series: { dimension: 'merchant_category', value: '5411', metric: 'count' },
          condition: 'above_upper',
          for_intervals: 2,
          campaign: 'grocery-cashback',
          notify: ['campaigns'],
          cooldown: '24h',
        },
      ],
    };
    await harness.applyPolicy(policy);
    await harness.startAlerting({}, { clock, signals });

    // every transaction travels as a txn.scored event, as the scorer publishes it
    const events = counts.flatMap((n, t) =>
      Array.from({ length: n }, (_, i) =>
        newScored({
          score: 0.05,
          region: 'KE',
          overrides: {
            currency: 'KES',
            merchant: { id: 'm-groceries', mcc: '5411' },
            timestamp: new Date(START + t * HOUR + ((i * 3_600_000) / (n + 1) + 1)).toISOString(),
          },
        }),
      ),
    );
    for (let i = 0; i < events.length; i += 1000)
      await Promise.all(events.slice(i, i + 1000).map((event) => harness.publishScored(event)));
    const total = counts.reduce((a, b) => a + b, 0);
    await waitFor(
      () =>
        harness.query<{ n: number }>(
          `SELECT coalesce(sum(count), 0)::int AS n FROM alerting.demand_buckets WHERE dimension = 'merchant_category'`,
        ),
      (rows) => rows[0]!.n === total,
      { what: `${total} transactions in the demand series`, timeoutMs: 120_000 },
    );
  });
  afterAll(async () => {
    await harness?.stop();
    await campaigns?.close();
  });

  it('fires the campaign trigger once, for the spike, and never on a normal day', async () => {
    // fifteen days of history when judging starts; then every later hour, one at a time
    await signals.runNow('forecasts');
    for (let hour = 0; hour < (DAYS - JUDGING_FROM_DAY) * 24; hour++) {
      clock.advance(HOUR);
      await signals.runNow('forecasts');
    }
    const [series] = await harness.query<{ evaluated_until: Date }>(
      `SELECT evaluated_until FROM alerting.forecast_series WHERE series_id = $1`,
      [SERIES],
    );
    expect(series!.evaluated_until.toISOString()).toBe(new Date(START + DAYS * DAY).toISOString());

    const firings = await harness.query<{ run_start: Date; bucket_start: Date; campaign: string }>(
      `SELECT run_start, bucket_start, campaign FROM alerting.trigger_firings ORDER BY firing_id`,
    );
    const spikeAt = (hour: number) => new Date(START + SPIKE_DAY * DAY + hour * HOUR);
    expect(firings).toEqual([
      { run_start: spikeAt(14), bucket_start: spikeAt(15), campaign: 'grocery-cashback' },
    ]);

    const [delivered] = (
      await waitFor(
        () => Promise.resolve(campaigns.bodies<CampaignTrigger>()),
        (bodies) => bodies.length === 1,
        {
          what: 'the campaign webhook',
        },
      )
    ).map((body) => body);
    expect(delivered).toMatchObject({
      trigger_id: 'groceries-surge',
      campaign: 'grocery-cashback',
      series_id: SERIES,
      condition: 'above_upper',
      for_intervals: 2,
    });
    expect(delivered!.intervals.map((i) => [i.bucket_start, i.actual])).toEqual([
      [spikeAt(14).toISOString(), counts[SPIKE_DAY * 24 + 14]],
      [spikeAt(15).toISOString(), counts[SPIKE_DAY * 24 + 15]],
    ]);
    for (const interval of delivered!.intervals) expect(interval.actual!).toBeGreaterThan(interval.upper);
    expect(campaigns.received[0]!.headers['vigil-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);

    const { items } = await harness.request(Requests.alertsList, { source: 'business' });
    expect(items).toEqual([
      expect.objectContaining({
        name: 'DemandAboveForecast',
        severity: 'info',
        labels: {
          alertname: 'DemandAboveForecast',
          trigger: 'groceries-surge',
          campaign: 'grocery-cashback',
          series: SERIES,
        },
      }),
    ]);
  });

  it('reports held-out accuracy (MAPE) and serves forecast against actual for the dashboard', async () => {
    const reply = await harness.request(Requests.forecasts, { series_id: SERIES, history: 48, horizon: 24 });
    expect(reply).toMatchObject({ interval_minutes: 60, prediction_interval: 0.99 });
    const [series] = reply.series;
    expect(series).toMatchObject({
      series_id: SERIES,
      dimension: 'merchant_category',
      value: '5411',
      metric: 'count',
      currency: null,
      model: expect.objectContaining({ seasonality: 'daily+weekly' }),
    });
    console.log(
      `MAPE of the ${SERIES} forecast on the held-out last day: ${series!.mape!.toFixed(2)}% ` +
        `(alpha ${series!.model!.alpha}, beta ${series!.model!.beta}, gamma ${series!.model!.gamma}, ` +
        `delta ${series!.model!.delta}, sigma ${series!.model!.sigma.toFixed(2)})`,
    );
    expect(series!.mape).toBeLessThan(10);

    const past = series!.points.filter((p) => p.actual !== null);
    const ahead = series!.points.filter((p) => p.actual === null);
    expect(past).toHaveLength(48);
    expect(ahead).toHaveLength(24);
    expect(ahead[0]!.bucket_start).toBe(new Date(START + DAYS * DAY).toISOString());
    for (const point of series!.points) {
      expect(point.lower).toBeLessThanOrEqual(point.forecast);
      expect(point.upper).toBeGreaterThanOrEqual(point.forecast);
    }
    // the last judged hours are actual demand of the generated series
    expect(past.at(-1)!.actual).toBe(counts.at(-1));
  });
});
