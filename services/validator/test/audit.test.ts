// The audit log: every verdict chained to the one before; `audit verify` passes on the untouched chain and fails,
// naming the row, once a row is altered or deleted behind the database's back. Ordinary roles cannot change it.
import { waitFor } from '@vigil/testing';
import pg from 'pg';
import { runAudit } from '../src/cli/audit.command.js';
import { ValidatorHarness, newTransaction } from './support.js';

let h: ValidatorHarness;
beforeAll(async () => {
  h = await ValidatorHarness.start();
});
afterAll(async () => {
  await h?.stop();
});

async function audit(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runAudit(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DATABASE_URL: h.db.url },
  });
  return { code, stdout, stderr };
}

/** A superuser session that turns triggers off, as someone tampering with the table directly would. */
async function asSuperuserBypassingTriggers(statement: string, values: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: h.db.url });
  await client.connect();
  try {
    await client.query(`SET session_replication_role = replica`);
    return (await client.query(statement, values)).rowCount ?? 0;
  } finally {
    await client.end();
  }
}

const records = Array.from({ length: 20 }, (_, i) =>
  i % 5 === 0 ? newTransaction({ amount: '0' }) : newTransaction(),
);

it('chains every verdict and the rule-set change, and verify finds the chain intact', async () => {
  await h.accept(records);
  const rows = await waitFor(
    () =>
      h.query<{ seq: string; kind: string; subject: string }>(
        `SELECT seq, kind, subject FROM validator.audit_log ORDER BY seq`,
      ),
    (all) => all.filter((r) => r.kind === 'validation').length === records.length,
    { what: 'an audit row per verdict' },
  );
  expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
  expect(rows[0]).toMatchObject({ kind: 'config.applied', subject: 'validator.rule-set@1' });
  const verified = await audit('verify');
  expect(verified).toEqual({
    code: 0,
    stdout: `audit log intact: ${rows.length} rows, seq 1 to ${rows.length}\n`,
    stderr: '',
  });
});

it('refuses UPDATE, DELETE and TRUNCATE from the service role', async () => {
  await expect(h.query(`UPDATE validator.audit_log SET payload = '{}' WHERE seq = 2`)).rejects.toThrow(
    /append-only: UPDATE refused/,
  );
  await expect(h.query(`DELETE FROM validator.audit_log WHERE seq = 2`)).rejects.toThrow(
    /append-only: DELETE refused/,
  );
  await expect(h.query(`TRUNCATE validator.audit_log`)).rejects.toThrow(/append-only: TRUNCATE refused/);
});

it('fails, naming the row, after one row is altered with a direct UPDATE', async () => {
  const [target] = await h.query<{ seq: string; subject: string }>(
    `SELECT seq, subject FROM validator.audit_log WHERE kind = 'validation' AND payload LIKE '%"status":"quarantined"%' ORDER BY seq OFFSET 1 LIMIT 1`,
  );
  const changed = await asSuperuserBypassingTriggers(
    `UPDATE validator.audit_log SET payload = replace(payload, '"status":"quarantined"', '"status":"valid"') WHERE seq = $1`,
    [target!.seq],
  );
  expect(changed).toBe(1);
  const verified = await audit('verify');
  expect(verified.code).toBe(1);
  expect(verified.stderr).toContain('audit log BROKEN: 1 problem(s)');
  expect(verified.stderr).toMatch(
    new RegExp(
      `seq ${target!.seq} \\(validator\\.audit_log_p\\d{6}, at [^,]+, validation ${target!.subject}\\): row ${target!.seq} was altered`,
    ),
  );
});

it('names a deleted row as missing', async () => {
  const [last] = await h.query<{ seq: string }>(`SELECT max(seq) AS seq FROM validator.audit_log`);
  const deleted = Number(last!.seq) - 3;
  expect(
    await asSuperuserBypassingTriggers(`DELETE FROM validator.audit_log WHERE seq = $1`, [deleted]),
  ).toBe(1);
  const verified = await audit('verify');
  expect(verified.code).toBe(1);
  expect(verified.stderr).toContain(`row ${deleted} is missing: it was deleted`);
});

it('names rows cut from the end of the chain', async () => {
  const [last] = await h.query<{ seq: string }>(`SELECT max(seq) AS seq FROM validator.audit_log`);
  await asSuperuserBypassingTriggers(`DELETE FROM validator.audit_log WHERE seq = $1`, [last!.seq]);
  const verified = await audit('verify');
  expect(verified.stderr).toContain(
    `rows ${last!.seq} to ${last!.seq} are missing: the chain head is at ${last!.seq}`,
  );
});
