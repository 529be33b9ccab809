// `reconcile`: counts accepted transactions through validator and scorer and names those neither scored nor
// quarantined after the grace period, from Postgres, read only; the same report as GET /v1/admin/reconciliation.
import { parseArgs } from 'node:util';
import { Database } from '@vigil/db';
import { type ReconciliationDto, parseReconciliationQuery } from '../reconciliation/reconciliation.dto.js';
import { ReconciliationRepository } from '../reconciliation/reconciliation.repository.js';
import { ReconciliationService } from '../reconciliation/reconciliation.service.js';

export const RECONCILE_USAGE = `Usage: reconcile [options]

Counts the transactions received in [from, to) through ingest -> validator -> scorer and names every one that
is neither scored nor quarantined after the grace period. Read only; safe to run at any time.

Options:
  --from <time>              received_at >= from (RFC 3339; default: one hour before --to)
  --to <time>                received_at < to (default: now); at most 24 hours after --from
  --grace <seconds>          younger ids are in flight, not missing (default 300)
  --limit <n>                missing ids named, 1 to 1000 (default 100)
  --json                     print the report as JSON
  --database-url <url>       Postgres (default $DATABASE_URL, else postgres://postgres@127.0.0.1:5432/vigil)
  -h, --help                 show this text

Exit code: 0 nothing missing, 1 ids missing (or Postgres unreachable), 2 bad options.
`;

export interface CliIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
  env?: NodeJS.ProcessEnv;
}

export async function runReconcile(
  argv: readonly string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env ?? process.env;
  let values;
  let query;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        grace: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
        'database-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
    if (values.help) {
      io.stdout.write(RECONCILE_USAGE);
      return 0;
    }
    query = parseReconciliationQuery({
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(values.to !== undefined ? { to: values.to } : {}),
      ...(values.grace !== undefined ? { grace_seconds: values.grace } : {}),
      ...(values.limit !== undefined ? { limit: values.limit } : {}),
    });
  } catch (error) {
    const message = (error as Error).message.replace('grace_seconds', '--grace');
    io.stderr.write(`reconcile: ${message}\n\n${RECONCILE_USAGE}`);
    return 2;
  }
  const db = new Database({
    url: values['database-url'] ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/vigil',
    service: 'reconcile-cli',
    maxConnections: 1,
  });
  try {
    const report = await new ReconciliationService(new ReconciliationRepository(db)).report(query);
    io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : textOf(report));
    return report.missing === 0 ? 0 : 1;
  } catch (error) {
    io.stderr.write(`reconcile: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await db.close();
  }
}

function textOf(report: ReconciliationDto): string {
  const s = report.stages;
  const lines = [
    `received ${report.from} .. ${report.to} (grace ${report.grace_seconds} s)`,
    `accepted ${s.accepted}  validated ${s.validated} (valid ${s.valid}, quarantined ${s.quarantined})  scored ${s.scored}`,
    `in flight ${report.in_flight}  missing ${report.missing} (no verdict ${report.missing_by_stage.validator}, valid but not scored ${report.missing_by_stage.scorer})`,
    `dead letters: ${report.dead_letters}`,
  ];
  for (const m of report.missing_ids)
    lines.push(
      `missing\t${m.transaction_id}\tstuck at ${m.stuck_at}\treceived ${m.received_at}\t${m.source}`,
    );
  if (report.missing_ids_truncated)
    lines.push(`... ${report.missing - report.missing_ids.length} more missing (raise --limit)`);
  return `${lines.join('\n')}\n`;
}
