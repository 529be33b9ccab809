// `npm run rules -- …` reaches the right service's CLI: backtest the scorer's, every other command the
// validator's, with each one's output and exit code.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const rules = (...args: string[]) =>
  spawnSync(`${ROOT}node_modules/.bin/node`, ['scripts/rules.ts', ...args], { cwd: ROOT, encoding: 'utf8' });

describe('npm run rules', () => {
  it('sends validate to the validator, which checks the rule-set file', () => {
    const run = rules('validate', '-f', 'services/validator/rules/default.yaml');

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('duplicate.id');
  });

  it('sends backtest to the scorer, whose refusal and exit code come through', () => {
    const run = rules('backtest', '-f', 'rules.yaml', '--from', '2026-02-30', '--to', '2026-03-01');

    expect(run.status).toBe(2);
    expect(run.stderr).toContain('rules backtest: --from "2026-02-30" is not a calendar day');
  });

  it('names the backtest in the help beside the validator commands', () => {
    const run = rules('--help');

    expect(run.status).toBe(0);
    expect(run.stdout).toContain('validate -f <file>');
    expect(run.stdout).toContain('Also: backtest -f <rules.yaml>');
  });
});
