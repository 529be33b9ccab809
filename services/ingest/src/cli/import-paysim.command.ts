// `import-paysim`: streams a PaySim CSV export to the ingest API as PaySim-shaped JSON records,
// money kept as the file's decimal text. Ingest normalises; this command only reads and delivers.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { CURRENCY_CODES, REGION_CODES } from '@vigil/contracts';
import {
  PaysimCsvError,
  PaysimCsvReader,
  toPaysimJsonRecord,
  type PaysimJsonRecord,
} from '../paysim/index.js';
import {
  BatchSender,
  DEFAULT_INGEST_TARGET,
  DeliveryError,
  MAX_BATCH_SIZE,
  describeTally,
} from './batch-sender.js';
import { ExitCode, UsageError, integerFlag, shutdownOnSignals, type CliIo } from './cli-io.js';
import { printDeliverySummary } from './delivery-summary.js';
import { createProgress, formatBytes } from './progress.js';

/** Malformed lines listed one by one before only counting them. */
const MALFORMED_LINES_SHOWN = 20;

export const IMPORT_PAYSIM_USAGE = `Usage: import-paysim <file.csv> [options]

Reads a PaySim CSV export (step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,
oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud) and posts its rows to the ingest API.

  --currency <code>    ISO 4217 currency of the amounts (default KES)
  --region <code>      ISO 3166-1 region of the transactions (default KE)
  --id-prefix <text>   transaction ids are <text>-<line number>, so re-importing a file is
                       deduplicated (default paysim-<file name>)
  --skip-malformed     report each malformed line and go on, instead of stopping at the first
  --target <url>       ingest endpoint (default ${DEFAULT_INGEST_TARGET})
  --token <token>      bearer token for the ingest API (default: $VIGIL_INGEST_TOKEN)
  --concurrency <n>    requests in flight at most (default 4)
  --batch-size <n>     records per request, 1 to ${MAX_BATCH_SIZE} (default ${MAX_BATCH_SIZE})
  -h, --help           show this text
`;

export interface ImportPaysimFlags {
  file: string;
  currency: string;
  region: string;
  idPrefix: string;
  skipMalformed: boolean;
  target: string;
  token?: string;
  concurrency: number;
  batchSize: number;
}

/** A transaction-id-safe prefix from the file name: "PS_2017 log.csv" -> "paysim-PS_2017-log". */
export function defaultIdPrefix(file: string): string {
  const stem = basename(file, extname(file))
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 80);
  return `paysim-${stem || 'file'}`;
}

export function parseImportPaysimFlags(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ImportPaysimFlags | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        currency: { type: 'string', default: 'KES' },
        region: { type: 'string', default: 'KE' },
        'id-prefix': { type: 'string' },
        'skip-malformed': { type: 'boolean', default: false },
        target: { type: 'string', default: DEFAULT_INGEST_TARGET },
        token: { type: 'string' },
        concurrency: { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError(`expected one CSV file, got ${positionals.length}`);
  const file = positionals[0]!;
  const currency = values.currency.toUpperCase();
  if (!(CURRENCY_CODES as readonly string[]).includes(currency))
    throw new UsageError(`--currency ${values.currency} is not an ISO 4217 code we know`);
  const region = values.region.toUpperCase();
  if (!REGION_CODES.includes(region))
    throw new UsageError(`--region ${values.region} is not an ISO 3166-1 alpha-2 code`);
  const idPrefix = values['id-prefix'] ?? defaultIdPrefix(file);
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/.test(idPrefix)) {
    throw new UsageError(
      '--id-prefix must start with a letter or digit and use only letters, digits and . _ : - (at most 100)',
    );
  }
  if (!/^https?:\/\//.test(values.target))
    throw new UsageError(`--target must be an http(s) URL, got ${JSON.stringify(values.target)}`);
  const token = values.token ?? env['VIGIL_INGEST_TOKEN'];
  return {
    file,
    currency,
    region,
    idPrefix,
    skipMalformed: values['skip-malformed'],
    target: values.target,
    ...(token ? { token } : {}),
    concurrency: integerFlag('concurrency', values.concurrency, 4, 1, 256),
    batchSize: integerFlag('batch-size', values['batch-size'], MAX_BATCH_SIZE, 1, MAX_BATCH_SIZE),
  };
}

export async function runImportPaysim(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let flags: ImportPaysimFlags | 'help';
  try {
    flags = parseImportPaysimFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`import-paysim: ${error.message}\n\n${IMPORT_PAYSIM_USAGE}`);
    return ExitCode.usage;
  }
  if (flags === 'help') {
    io.stdout.write(IMPORT_PAYSIM_USAGE);
    return ExitCode.ok;
  }

  let size: number;
  try {
    size = (await stat(flags.file)).size;
  } catch (error) {
    io.stderr.write(
      `import-paysim: cannot read ${flags.file}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return ExitCode.failed;
  }

  const shutdown = io.stop ? undefined : shutdownOnSignals(io.stderr);
  const stop = io.stop ?? shutdown!.signal;
  try {
    return await importFile(flags, size, io, stop);
  } finally {
    shutdown?.dispose();
  }
}

async function importFile(
  flags: ImportPaysimFlags,
  size: number,
  io: CliIo,
  stop: AbortSignal,
): Promise<number> {
  const label = 'import-paysim';
  const startedAt = performance.now();
  let malformed = 0;
  const reader = new PaysimCsvReader(createReadStream(flags.file, { highWaterMark: 1 << 20 }), {
    ...(flags.skipMalformed
      ? {
          onMalformed: (error: PaysimCsvError) => {
            malformed++;
            if (malformed <= MALFORMED_LINES_SHOWN)
              io.stderr.write(`${label}: skipped ${flags.file} ${error.message}\n`);
          },
        }
      : {}),
  });
  const progress = createProgress({ stream: io.stderr, label, total: size, unit: 'bytes' });
  const sender = new BatchSender({
    target: flags.target,
    ...(flags.token ? { token: flags.token } : {}),
    concurrency: flags.concurrency,
    onDelivered: (tally) => progress.update(reader.bytesRead, describeTally(tally)),
  });

  let rows = 0;
  let readError: Error | undefined;
  let batch: PaysimJsonRecord[] = [];
  try {
    for await (const row of reader) {
      if (stop.aborted || sender.failure) break;
      batch.push(
        toPaysimJsonRecord(row, {
          currency: flags.currency,
          region: flags.region,
          transactionId: `${flags.idPrefix}-${reader.lineNumber}`,
        }),
      );
      rows++;
      if (batch.length >= flags.batchSize) {
        const full = batch;
        batch = [];
        await sender.send(full);
        progress.update(reader.bytesRead, describeTally(sender.tally));
      }
    }
  } catch (error) {
    if (error instanceof DeliveryError) {
      // Reported by the summary below.
    } else if (error instanceof PaysimCsvError || (error as NodeJS.ErrnoException).code !== undefined) {
      readError = error as Error;
    } else {
      throw error;
    }
  }
  // Rows read before a malformed line are valid and still delivered.
  await sender.send(batch).catch((error: unknown) => {
    if (!(error instanceof DeliveryError)) throw error;
  });
  await sender.drain();
  progress.update(reader.bytesRead, describeTally(sender.tally));
  progress.stop();

  const elapsedMs = performance.now() - startedAt;
  io.stderr.write(
    `${label}: read ${rows.toLocaleString('en-US')} rows (${formatBytes(reader.bytesRead)}) from ${flags.file}\n`,
  );
  if (malformed > 0) io.stderr.write(`${label}: skipped ${malformed} malformed lines (--skip-malformed)\n`);
  printDeliverySummary(io.stderr, label, sender, rows, elapsedMs);
  if (readError) {
    io.stderr.write(
      `${label}: error: ${flags.file} ${readError.message}; rows before it were sent, nothing after it was read\n`,
    );
    return ExitCode.failed;
  }
  if (sender.failure) return ExitCode.failed;
  return stop.aborted ? ExitCode.interrupted : ExitCode.ok;
}
