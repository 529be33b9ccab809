// `audit verify|holds|hold|release|retention`: the validator's audit log, checked and kept, from outside the service.
import { parseArgs } from 'node:util';
import { Database } from '@vigil/db';
import { AuditLog, type LegalHold } from '../audit/audit-log.js';
import { ExitCode, UsageError, defaultActor, type CliIo } from './cli-io.js';

export const AUDIT_USAGE = `Usage: audit <command> [options]

Commands:
  verify                     recompute the hash chain; names every row that was altered, deleted or inserted
  holds                      list legal holds
  hold --reason <text> --from <time> --to <time>
                             place a legal hold: no partition overlapping [from, to) is dropped while it lasts
  release <hold-id>          release a legal hold
  retention [--months <n>]   drop the whole monthly partitions older than n months (default 84, i.e. 7 years),
                             up to the first one a legal hold covers

Options:
  --database-url <url>       Postgres (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/vigil)
  --by <name>                who does it, kept in the log (default user@host)
  -h, --help                 show this text
`;

const time = (name: string, text: string | undefined): Date => {
  const value = text === undefined ? NaN : Date.parse(text);
  if (Number.isNaN(value))
    throw new UsageError(`--${name} must be an RFC 3339 time, e.g. 2026-01-01T00:00:00Z`);
  return new Date(value);
};

const holdLine = (h: LegalHold) =>
  `${h.hold_id}\t${h.covers_from.toISOString()} .. ${h.covers_to.toISOString()}\t${h.released_at ? `released ${h.released_at.toISOString()} by ${h.released_by}` : 'active'}\tplaced by ${h.placed_by}: ${h.reason}\n`;

export async function runAudit(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env ?? process.env;
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'database-url': { type: 'string' },
        by: { type: 'string' },
        reason: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        months: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`audit: ${(error as Error).message}\n\n${AUDIT_USAGE}`);
    return ExitCode.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(AUDIT_USAGE);
    return ExitCode.ok;
  }
  const command = positionals[0];
  let hold: { reason: string; from: Date; to: Date } | undefined;
  let months = 84;
  try {
    if (!command || !['verify', 'holds', 'hold', 'release', 'retention'].includes(command))
      throw new UsageError(command ? `unknown command ${JSON.stringify(command)}` : 'a command is required');
    if (command === 'hold') {
      if (!values.reason) throw new UsageError('hold needs --reason');
      hold = { reason: values.reason, from: time('from', values.from), to: time('to', values.to) };
      if (hold.from >= hold.to) throw new UsageError('--from must be before --to');
    }
    if (command === 'release' && !positionals[1]) throw new UsageError('release needs the hold id');
    if (values.months !== undefined) {
      if (!/^[1-9][0-9]{0,3}$/.test(values.months))
        throw new UsageError('--months must be a positive integer');
      months = Number(values.months);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`audit: ${error.message}\n\n${AUDIT_USAGE}`);
    return ExitCode.usage;
  }
  const db = new Database({
    url: values['database-url'] ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vigil',
    service: 'audit-cli',
    maxConnections: 2,
  });
  const audit = new AuditLog(db);
  const by = values.by ?? defaultActor(env);
  try {
    return await run(command, audit, io, { by, hold, months, holdId: positionals[1] });
  } catch (error) {
    // e.g. Postgres down, or a database the validator never migrated: one line, not a stack
    io.stderr.write(`audit: ${(error as Error).message}\n`);
    return ExitCode.failed;
  } finally {
    await db.close();
  }
}

async function run(
  command: string,
  audit: AuditLog,
  io: CliIo,
  options: { by: string; hold?: { reason: string; from: Date; to: Date }; months: number; holdId?: string },
): Promise<number> {
  const { by, hold, months } = options;
  switch (command) {
    case 'verify': {
      const report = await audit.verify();
      if (report.ok) {
        io.stdout.write(
          report.rows === 0
            ? 'audit log intact: no rows\n'
            : `audit log intact: ${report.rows} rows, seq ${report.firstSeq} to ${report.lastSeq}${report.resumedAfter ? ` (resumes after seq ${report.resumedAfter.seq}, the end of dropped partition ${report.resumedAfter.partition})` : ''}\n`,
        );
        return ExitCode.ok;
      }
      io.stderr.write(`audit log BROKEN: ${report.problems.length} problem(s) in ${report.rows} rows\n`);
      for (const p of report.problems)
        io.stderr.write(
          `  seq ${p.seq}${p.partition ? ` (${p.partition}` : ''}${p.at ? `, at ${p.at}` : ''}${p.kind ? `, ${p.kind} ${p.subject}` : ''}${p.partition ? ')' : ''}: ${p.problem}\n`,
        );
      return ExitCode.failed;
    }
    case 'holds': {
      const holds = await audit.holds();
      if (holds.length === 0) io.stdout.write('no legal holds\n');
      for (const h of holds) io.stdout.write(holdLine(h));
      return ExitCode.ok;
    }
    case 'hold':
      io.stdout.write(`placed ${holdLine(await audit.placeHold(hold!.reason, hold!.from, hold!.to, by))}`);
      return ExitCode.ok;
    case 'release': {
      const released = await audit.releaseHold(options.holdId!, by).catch((error: unknown) => {
        if ((error as { code?: string }).code === '22P02') return undefined; // not a uuid
        throw error;
      });
      if (!released) {
        io.stderr.write(`audit: no active legal hold ${options.holdId}\n`);
        return ExitCode.failed;
      }
      io.stdout.write(`released ${holdLine(released)}`);
      return ExitCode.ok;
    }
    case 'retention': {
      const dropped = await audit.applyRetention(months, by);
      io.stdout.write(
        dropped.length === 0
          ? `nothing to drop: no partition ended more than ${months} months ago outside a legal hold\n`
          : dropped.map((d) => `dropped ${d.partition} (${d.rows} rows)\n`).join(''),
      );
      return ExitCode.ok;
    }
    default:
      return ExitCode.usage;
  }
}
