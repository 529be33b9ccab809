// `generate`: synthetic transactions with labelled fraud (mobile money and cards, or card payments after
// the Fraud Detection Handbook's simulator), posted to the ingest API in batches (paced, or continuously
// until a signal) or written to an NDJSON / PaySim CSV file.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  generateCardTransactions,
  HANDBOOK,
  resolveCardGeneratorOptions,
  type CardGeneratorOptions,
  type CardTransactionRecord,
} from '../generator/card/index.js';
import {
  generateTransactions,
  resolveGeneratorOptions,
  type GeneratedRecord,
  type GeneratorOptions,
} from '../generator/index.js';
import { PAYSIM_CSV_HEADER, formatPaysimCsvRow, toPaysimRow } from '../paysim/index.js';
import {
  BatchSender,
  DEFAULT_INGEST_TARGET,
  DeliveryError,
  MAX_BATCH_SIZE,
  describeTally,
} from './batch-sender.js';
import { ExitCode, UsageError, integerFlag, numberFlag, shutdownOnSignals, type CliIo } from './cli-io.js';
import { formatRate, printDeliverySummary } from './delivery-summary.js';
import { createProgress } from './progress.js';

const FIXED_START = '2025-01-01T00:00:00Z';
const DAY_MS = 86_400_000;
const CARD_DEFAULT_DAYS = 7;

/** `mobile-money`: the suite's own generator (mobile money and cards); `card`: the Handbook's card simulator. */
export const GENERATOR_KINDS = ['mobile-money', 'card'] as const;
export type GeneratorKind = (typeof GENERATOR_KINDS)[number];
type OutputRecord = GeneratedRecord | CardTransactionRecord;

export const GENERATE_USAGE = `Usage: generate [options]

Generates synthetic transactions with labelled fraud typologies and posts them to the ingest API
in batches, or writes them to a file. The same --seed and options give the same records.

  --kind <kind>        mobile-money: the suite's generator of mobile money and card traffic (default);
                       card: card payments after the Fraud Detection Handbook's simulator
                       (customers and terminals on a grid; see docs/card-generator.md)
  --seed <n>           PRNG seed (default 42)
  --count <n>          records to generate (default 10000; ignored with --continuous);
                       with --kind card, an optional cap on the records of --days
  --fraud-rate <r>     approximate fraction of fraud records, 0 to 1 (default 0.02; mobile-money)
  --rate <n>           records per second; 0 sends as fast as the API accepts (default 0)
  --continuous         generate until SIGINT/SIGTERM, then finish requests in flight and exit 0
  --start <time>       simulated time of the first record: RFC 3339 or "now"
                       (default ${FIXED_START}; "now" with --continuous)
  --interval-ms <n>    mean simulated gap between records in ms
                       (default 5000; 1000/rate with --continuous and --rate, to track the clock)
  --accounts <n>       mobile-money wallets in the simulated population (default 3000)
  --days <n>           card: simulated days (default ${CARD_DEFAULT_DAYS}; the Handbook's dataset has ${HANDBOOK.days});
                       --start now ends them at the last UTC midnight
  --customers <n>      card: customers on the grid (default ${HANDBOOK.customers})
  --terminals <n>      card: terminals on the grid (default ${HANDBOOK.terminals})
  --out <file>         write NDJSON instead of sending; PaySim CSV (mobile money only) when the
                       name ends in .csv; "-" writes NDJSON to stdout
  --target <url>       ingest endpoint (default ${DEFAULT_INGEST_TARGET})
  --token <token>      bearer token for the ingest API (default: $VIGIL_INGEST_TOKEN)
  --concurrency <n>    requests in flight at most (default 4)
  --batch-size <n>     records per request, 1 to ${MAX_BATCH_SIZE} (default ${MAX_BATCH_SIZE})
  -h, --help           show this text
`;

export interface GenerateFlags {
  kind: GeneratorKind;
  generator: GeneratorOptions & { seed: number; startTime: string | number };
  /** Present with --kind card. */
  card?: CardGeneratorOptions;
  continuous: boolean;
  rate: number;
  out?: string;
  target: string;
  token?: string;
  concurrency: number;
  batchSize: number;
}

export function parseGenerateFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): GenerateFlags | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kind: { type: 'string', default: 'mobile-money' },
        seed: { type: 'string' },
        count: { type: 'string' },
        'fraud-rate': { type: 'string' },
        rate: { type: 'string' },
        continuous: { type: 'boolean', default: false },
        start: { type: 'string' },
        'interval-ms': { type: 'string' },
        accounts: { type: 'string' },
        days: { type: 'string' },
        customers: { type: 'string' },
        terminals: { type: 'string' },
        out: { type: 'string' },
        target: { type: 'string', default: DEFAULT_INGEST_TARGET },
        token: { type: 'string' },
        concurrency: { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return 'help';

  const kind = values.kind as GeneratorKind;
  if (!GENERATOR_KINDS.includes(kind)) {
    throw new UsageError(
      `--kind must be one of ${GENERATOR_KINDS.join(', ')}, got ${JSON.stringify(values.kind)}`,
    );
  }
  // A flag the chosen generator has no use for is a mistake worth pointing out, not something to ignore.
  const foreign =
    kind === 'card'
      ? (['fraud-rate', 'accounts', 'interval-ms', 'continuous'] as const)
      : (['days', 'customers', 'terminals'] as const);
  for (const name of foreign) {
    if (values[name] !== undefined && values[name] !== false)
      throw new UsageError(`--${name} does not apply to --kind ${kind}`);
  }
  if (kind === 'card' && values.out?.endsWith('.csv')) {
    throw new UsageError('a PaySim CSV holds mobile money only; write card payments as NDJSON');
  }

  const continuous = values.continuous;
  const rate = numberFlag('rate', values.rate, 0, 0);
  const startText = values.start ?? (continuous ? 'now' : FIXED_START);
  const startTime = startText === 'now' ? Date.now() : startText;
  if (typeof startTime === 'string' && Number.isNaN(Date.parse(startTime))) {
    throw new UsageError(`--start must be an RFC 3339 time or "now", got ${JSON.stringify(startText)}`);
  }
  const intervalDefault = continuous && rate > 0 ? 1000 / rate : 5_000;
  const out = values.out;
  const target = values.target;
  if (!out && !/^https?:\/\//.test(target))
    throw new UsageError(`--target must be an http(s) URL, got ${JSON.stringify(target)}`);
  const token = values.token ?? env['VIGIL_INGEST_TOKEN'];
  const card = kind === 'card' ? cardOptions(values, startText) : undefined;

  return {
    kind,
    ...(card ? { card } : {}),
    generator: {
      seed: integerFlag('seed', values.seed, 42, 0),
      ...(continuous ? {} : { count: integerFlag('count', values.count, 10_000, 0) }),
      fraudRate: numberFlag('fraud-rate', values['fraud-rate'], 0.02, 0, 1),
      startTime,
      meanIntervalMs: numberFlag('interval-ms', values['interval-ms'], intervalDefault, 0.001),
      accounts: integerFlag('accounts', values.accounts, 3_000, 100),
      ...(out?.endsWith('.csv') ? { channels: ['mobile_money'] as const } : {}),
    },
    continuous,
    rate,
    ...(out ? { out } : {}),
    target,
    ...(token ? { token } : {}),
    concurrency: integerFlag('concurrency', values.concurrency, 4, 1, 256),
    batchSize: integerFlag('batch-size', values['batch-size'], MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE),
  };
}

function cardOptions(
  values: { seed?: string; count?: string; days?: string; customers?: string; terminals?: string },
  startText: string,
): CardGeneratorOptions {
  const days = integerFlag('days', values.days, CARD_DEFAULT_DAYS, 0);
  // Simulated days run ahead of the wall clock, so "now" means the days that ended at the last midnight.
  const startTime =
    startText === 'now' ? Math.floor(Date.now() / DAY_MS) * DAY_MS - days * DAY_MS : startText;
  return {
    seed: integerFlag('seed', values.seed, 42, 0),
    days,
    customers: integerFlag('customers', values.customers, HANDBOOK.customers, 1, 1_000_000),
    terminals: integerFlag('terminals', values.terminals, HANDBOOK.terminals, 1, 1_000_000),
    startTime,
    ...(values.count === undefined ? {} : { maxRecords: integerFlag('count', values.count, 0, 0) }),
  };
}

/** The records the chosen generator yields, in timestamp order. */
function recordsOf(flags: GenerateFlags): Iterable<OutputRecord> {
  return flags.card ? generateCardTransactions(flags.card) : generateTransactions(flags.generator);
}

/** How many records a run will produce, when known in advance. */
function expectedTotal(flags: GenerateFlags): number | undefined {
  return flags.card ? flags.card.maxRecords : flags.generator.count;
}

/** Holds a steady records-per-second pace against the wall clock, catching up after a stall. */
class Pacer {
  private readonly startedAt = performance.now();
  constructor(private readonly perSecond: number) {}

  /** Waits until record number `index` (0-based) is due; returns early when `stop` aborts. */
  async waitFor(index: number, stop: AbortSignal): Promise<void> {
    const dueIn = this.startedAt + (index * 1000) / this.perSecond - performance.now();
    if (dueIn > 1) await sleep(dueIn, undefined, { signal: stop }).catch(() => undefined);
  }
}

export async function runGenerate(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let flags: GenerateFlags | 'help';
  try {
    flags = parseGenerateFlags(argv);
    if (flags !== 'help') {
      resolveGeneratorOptions(flags.generator);
      if (flags.card) resolveCardGeneratorOptions(flags.card);
    }
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof RangeError)) throw error;
    io.stderr.write(`generate: ${error.message}\n\n${GENERATE_USAGE}`);
    return ExitCode.usage;
  }
  if (flags === 'help') {
    io.stdout.write(GENERATE_USAGE);
    return ExitCode.ok;
  }

  const shutdown = io.stop ? undefined : shutdownOnSignals(io.stderr);
  const stop = io.stop ?? shutdown!.signal;
  try {
    const code = flags.out
      ? await writeToFile(flags, flags.out, io, stop)
      : await sendToIngest(flags, io, stop);
    // A finite run cut short by a signal did not do what was asked; an endless one ends this way.
    return code === ExitCode.ok && stop.aborted && !flags.continuous ? ExitCode.interrupted : code;
  } finally {
    shutdown?.dispose();
  }
}

async function sendToIngest(flags: GenerateFlags, io: CliIo, stop: AbortSignal): Promise<number> {
  const startedAt = performance.now();
  const progress = createProgress({
    stream: io.stderr,
    label: 'generate',
    total: expectedTotal(flags),
    unit: 'records',
  });
  const sender = new BatchSender({
    target: flags.target,
    ...(flags.token ? { token: flags.token } : {}),
    concurrency: flags.concurrency,
    onDelivered: (tally) => progress.update(tally.records, describeTally(tally)),
  });
  // When paced, a batch holds about 200 ms of records so they arrive steadily, not in bursts.
  const batchSize =
    flags.rate > 0 ? Math.max(1, Math.min(flags.batchSize, Math.ceil(flags.rate / 5))) : flags.batchSize;
  const pacer = flags.rate > 0 ? new Pacer(flags.rate) : undefined;

  let produced = 0;
  let batch: OutputRecord[] = [];
  try {
    for (const record of recordsOf(flags)) {
      if (pacer) await pacer.waitFor(produced, stop);
      if (stop.aborted || sender.failure) break;
      batch.push(record);
      produced++;
      if (batch.length >= batchSize) {
        const full = batch;
        batch = [];
        await sender.send(full);
      }
    }
    // Records already generated are sent even when stopping: a signal ends generation, not delivery.
    await sender.send(batch);
  } catch (error) {
    if (!(error instanceof DeliveryError)) throw error;
  }
  await sender.drain();
  progress.stop();
  printDeliverySummary(io.stderr, 'generate', sender, produced, performance.now() - startedAt);
  return sender.failure ? ExitCode.failed : ExitCode.ok;
}

async function writeToFile(flags: GenerateFlags, out: string, io: CliIo, stop: AbortSignal): Promise<number> {
  const startedAt = performance.now();
  const csv = out.endsWith('.csv');
  const { startMs } = resolveGeneratorOptions(flags.generator);
  const toStdout = out === '-';
  const stream: NodeJS.WritableStream = toStdout ? io.stdout : createWriteStream(out);
  let writeError: Error | undefined;
  stream.on('error', (error: Error) => (writeError ??= error));
  const progress = createProgress({
    stream: io.stderr,
    label: 'generate',
    total: expectedTotal(flags),
    unit: 'records',
  });
  const pacer = flags.rate > 0 ? new Pacer(flags.rate) : undefined;

  let buffered = csv ? `${PAYSIM_CSV_HEADER}\n` : '';
  const flush = async () => {
    // Waiting for 'drain' keeps memory flat however fast the generator runs.
    // (once() also settles, by rejecting, when the stream errors; the 'error' listener keeps the cause.)
    if (buffered && !stream.write(buffered) && !writeError)
      await once(stream, 'drain').catch(() => undefined);
    buffered = '';
  };

  let written = 0;
  let fraud = 0;
  // With a .csv name the generator was asked for mobile money only, so every record has a row.
  const paysimLine = (record: OutputRecord) =>
    record.channel === 'mobile_money' ? formatPaysimCsvRow(toPaysimRow(record, startMs)!) : '';
  for (const record of recordsOf(flags)) {
    if (pacer) await pacer.waitFor(written, stop);
    if (stop.aborted || writeError) break;
    buffered += `${csv ? paysimLine(record) : JSON.stringify(record)}\n`;
    written++;
    if (record.labels.is_fraud) fraud++;
    if (buffered.length >= 1 << 16 || pacer) await flush();
    if (written % 1000 === 0) progress.update(written, `${fraud} fraud`);
  }
  await flush();
  if (!toStdout) {
    stream.end();
    await finished(stream).catch((error: Error) => (writeError ??= error));
  }
  progress.update(written, `${fraud} fraud`);
  progress.stop();
  if (writeError) {
    io.stderr.write(`generate: cannot write ${out}: ${writeError.message}\n`);
    return ExitCode.failed;
  }
  const elapsedMs = performance.now() - startedAt;
  io.stderr.write(
    `generate: wrote ${written.toLocaleString('en-US')} records (${csv ? 'PaySim CSV' : 'NDJSON'}) to ${toStdout ? 'stdout' : out} in ` +
      `${(elapsedMs / 1000).toFixed(1)} s (${formatRate(written, elapsedMs)}); ${fraud} labelled fraud\n`,
  );
  return ExitCode.ok;
}
