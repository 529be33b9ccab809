// Retention drops whole monthly partitions older than the retention period, never one a legal hold covers,
// and the chain still verifies afterwards from the last dropped row.
import { migrate, Database } from '@vigil/db';
import { TestDatabase } from '@vigil/testing';
import { AuditLog } from '../src/audit/audit-log.js';
import { MIGRATIONS_DIR } from '../src/app.js';
import { runAudit } from '../src/cli/audit.command.js';

let db: TestDatabase;
let database: Database;
let log: AuditLog;

beforeAll(async () => {
  db = await TestDatabase.create();
  await migrate({ databaseUrl: db.url, schema: 'validator', dir: MIGRATIONS_DIR });
  database = new Database({ url: db.url, service: 'retention-test' });
  log = new AuditLog(database);
});
afterAll(async () => {
  await database?.close();
  await db?.drop();
});

async function audit(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runAudit(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DATABASE_URL: db.url },
  });
  return { code, stdout, stderr };
}

const yearsAgo = (years: number, month = 3) =>
  new Date(Date.UTC(new Date().getUTCFullYear() - years, month, 15));
const entry = (subject: string) => ({ kind: 'validation' as const, subject, payload: { status: 'valid' } });

it('keeps what a legal hold covers, drops it once released, and the chain still verifies', async () => {
  // nine and eight years ago, then now: the oldest rows come first in the chain, as they would have
  const nineYears = yearsAgo(9);
  const eightYears = yearsAgo(8);
  await log.ensurePartitions(nineYears, 1);
  await log.ensurePartitions(eightYears, 1);
  await log.appendEntries([entry('old-1'), entry('old-2')], { at: nineYears });
  await log.appendEntries([entry('older-than-7y')], { at: eightYears });
  await log.appendEntries([entry('recent-1'), entry('recent-2')]);
  expect((await audit('verify')).stdout).toBe('audit log intact: 5 rows, seq 1 to 5\n');

  const nineMonth = nineYears.toISOString().slice(0, 7);
  const hold = await audit(
    'hold',
    '--reason',
    'litigation 2026-17',
    '--from',
    `${nineMonth}-01T00:00:00Z`,
    '--to',
    `${nineMonth}-02T00:00:00Z`,
    '--by',
    'legal',
  );
  expect(hold.code).toBe(0);
  const holdId = /placed ([0-9a-f-]{36})/.exec(hold.stdout)![1]!;

  // the held month is the oldest: nothing after it goes either, so the chain keeps no hole
  expect(await audit('retention', '--by', 'ops')).toMatchObject({
    code: 0,
    stdout: 'nothing to drop: no partition ended more than 84 months ago outside a legal hold\n',
  });
  expect(await log.partitions()).toEqual(
    expect.arrayContaining([`audit_log_p${nineMonth.replace('-', '')}`]),
  );
  await expect(
    database.query({ name: 'delete-hold', text: 'DELETE FROM validator.legal_holds' }),
  ).rejects.toThrow(/legal holds are kept/);

  expect(await audit('release', holdId, '--by', 'legal')).toMatchObject({ code: 0 });
  const dropped = await audit('retention', '--by', 'ops');
  expect(dropped.stdout).toBe(
    `dropped audit_log_p${nineMonth.replace('-', '')} (2 rows)\ndropped audit_log_p${eightYears.toISOString().slice(0, 7).replace('-', '')} (1 rows)\n`,
  );

  const verified = await audit('verify');
  expect(verified.code).toBe(0);
  expect(verified.stdout).toMatch(
    /^audit log intact: 5 rows, seq 4 to 8 \(resumes after seq 3, the end of dropped partition audit_log_p\d{6}\)\n$/,
  );
  const kinds = await db.query<{ kind: string }>(`SELECT kind FROM validator.audit_log ORDER BY seq`);
  expect(kinds.map((k) => k.kind)).toEqual([
    'validation',
    'validation',
    'legal_hold.placed',
    'legal_hold.released',
    'retention.dropped',
  ]);
});

it('refuses a hold whose window is empty, before touching the database', async () => {
  const refused = await audit(
    'hold',
    '--reason',
    'x',
    '--from',
    '2026-02-01T00:00:00Z',
    '--to',
    '2026-01-01T00:00:00Z',
  );
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('--from must be before --to');
});
