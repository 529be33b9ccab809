// `rules backtest`: replays the stored scores of a time window through candidate scoring rules and reports,
// per rule and for the set, the alerts they would have raised and how well those alerts match the labels.
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Database } from '@vigil/db';
import { readBacktestRules, RulesFileError } from '../backtest/backtest.file.js';
import { BacktestRepository } from '../backtest/backtest.repository.js';
import {
  BacktestService,
  type BacktestReport,
  type BacktestWindow,
  type RuleResult,
} from '../backtest/backtest.service.js';

export const BACKTEST_USAGE = `Usage: rules backtest -f <rules.yaml> --from <date> --to <date> [--json]

Replays the transactions scored in [--from, --to) through the scoring rules of the file, evaluated as the
scorer evaluates them (CEL over tx and f), and reports per rule and for the set (any rule fires): alerts, alerts
per day, labelled fraud found, precision, recall, and labelled fraud found that the stored decision approved.

Options:
  -f, --file <file>        YAML (or JSON) with a rules: list as in a scoring policy (a whole policy works too)
  --from <date>            first UTC day (YYYY-MM-DD, from its midnight) or RFC 3339 time, inclusive
  --to <date>              last UTC day (YYYY-MM-DD, to its end) or RFC 3339 time, exclusive
  --json                   print the report as JSON instead of a table
  --database-url <url>     Postgres (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/vigil)
  -h, --help               show this text
`;

export interface BacktestIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
}

export const BacktestExit = {
  ok: 0,
  /** The file or a rule is unusable, or Postgres did not answer. */
  failed: 1,
  /** Bad flags or dates: nothing was read. */
  usage: 2,
} as const;

class UsageError extends Error {}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** A date-only bound is a whole UTC day: --from starts at its midnight, --to ends at the next one. */
function bound(name: 'from' | 'to', text: string | undefined): Date {
  if (text === undefined || text === '') throw new UsageError(`--${name} is required`);
  if (DATE_ONLY.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    // Date accepts 2026-02-30 as 2026-03-02; a day that does not exist is a typo
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text)
      throw new UsageError(`--${name} ${JSON.stringify(text)} is not a calendar day`);
    return name === 'to' ? new Date(day.getTime() + DAY_MS) : day;
  }
  const time = /^\d{4}-\d{2}-\d{2}T/.test(text) ? Date.parse(text) : NaN;
  if (Number.isNaN(time))
    throw new UsageError(
      `--${name} ${JSON.stringify(text)} must be a day (2026-01-31) or an RFC 3339 time (2026-01-31T12:00:00Z)`,
    );
  return new Date(time);
}

/** A file argument as the user meant it: `npm run` runs in a package folder; INIT_CWD is where they typed it. */
const userPath = (file: string, env: NodeJS.ProcessEnv) =>
  isAbsolute(file) ? file : resolve(env.INIT_CWD ?? process.cwd(), file);

export async function runBacktestCommand(argv: readonly string[], io: BacktestIo): Promise<number> {
  const env = io.env ?? process.env;
  let file: string;
  let window: BacktestWindow;
  let json: boolean;
  let databaseUrl: string;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        file: { type: 'string', short: 'f' },
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      io.stdout.write(BACKTEST_USAGE);
      return BacktestExit.ok;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    if (!values.file) throw new UsageError('-f <rules.yaml> is required');
    window = { from: bound('from', values.from), to: bound('to', values.to) };
    if (window.from >= window.to)
      throw new UsageError(
        `--from (${window.from.toISOString()}) must be before --to (${window.to.toISOString()})`,
      );
    file = userPath(values.file, env);
    json = values.json;
    databaseUrl = values['database-url'] ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vigil';
  } catch (error) {
    io.stderr.write(`rules backtest: ${(error as Error).message}\n\n${BACKTEST_USAGE}`);
    return BacktestExit.usage;
  }

  let loaded;
  try {
    loaded = await readBacktestRules(file);
  } catch (error) {
    if (!(error instanceof RulesFileError)) throw error;
    io.stderr.write(
      `rules backtest: ${error.file} is refused:\n${error.problems.map((p) => `  ${p}\n`).join('')}`,
    );
    return BacktestExit.failed;
  }
  for (const warning of loaded.warnings) io.stderr.write(`rules backtest: warning: ${warning}\n`);

  const db = new Database({ url: databaseUrl, service: 'scorer-backtest', maxConnections: 1 });
  try {
    const service = new BacktestService(new BacktestRepository(db));
    const report = await service.run(loaded.rules, window, progressReporter(io.stderr));
    io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return BacktestExit.ok;
  } catch (error) {
    io.stderr.write(`rules backtest: cannot read the scores: ${(error as Error).message}\n`);
    return BacktestExit.failed;
  } finally {
    await db.close();
  }
}

/** Progress on stderr: rewritten in place on a terminal, a line every few seconds in a log. */
function progressReporter(stderr: BacktestIo['stderr']): (replayed: number, total: number) => void {
  const everyMs = stderr.isTTY ? 200 : 5_000;
  let lastAt = 0;
  return (replayed, total) => {
    const now = Date.now();
    const done = replayed === total;
    if (!done && now - lastAt < everyMs) return;
    lastAt = now;
    const line = `rules backtest: ${count(replayed)} of ${count(total)} transactions replayed`;
    stderr.write(stderr.isTTY ? `\r${line}${done ? '\n' : ''}` : `${line}\n`);
  };
}

const count = (n: number) => n.toLocaleString('en-US');
const ratio = (x: number | null) => (x === null ? '-' : x.toFixed(4));

export function formatReport(report: BacktestReport): string {
  const { window } = report;
  const lines = [
    `Backtest of ${window.from} .. ${window.to} (${Number(window.days.toFixed(2))} days): ` +
      `${count(report.transactions)} transactions, ${count(report.labelledFraud)} labelled fraud ` +
      `(${count(report.fraudFlaggedByPolicy)} flagged by the policy in force), ` +
      `${count(report.labelledLegitimate)} labelled legitimate`,
  ];
  if (report.withoutFeatures > 0)
    lines.push(`${count(report.withoutFeatures)} transactions have no stored features: f is empty for them`);
  const header = [
    'rule',
    'alerts',
    'per day',
    'fraud found',
    'precision',
    'recall',
    'fraud the policy missed',
  ];
  const row = (r: RuleResult) => [
    r.id,
    count(r.alerts),
    r.alertsPerDay.toFixed(2),
    count(r.fraudFound),
    ratio(r.precision),
    ratio(r.recall),
    count(r.fraudPolicyMissed),
  ];
  const rows = [header, ...report.rules.map(row), row(report.set)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const render = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  lines.push('', render(header), ...report.rules.map((r) => render(row(r))), render(row(report.set)));
  return `${lines.join('\n')}\n`;
}
