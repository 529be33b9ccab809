// `npm run rules -- <command>`: `backtest` replays stored scores through candidate scoring rules (the scorer's
// CLI); every other command manages the validator's rule sets (the validator's CLI). The dispatch lives here so
// that neither service imports the other.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const backtest = argv[0] === 'backtest';
const cli = fileURLToPath(
  new URL(
    backtest ? '../services/scorer/dist/cli/backtest.js' : '../services/validator/dist/cli/rules.js',
    import.meta.url,
  ),
);
const child = spawn(process.execPath, ['--enable-source-maps', cli, ...(backtest ? argv.slice(1) : argv)], {
  stdio: 'inherit',
});
// Ctrl-C reaches the child itself (same process group): wait for it to finish and report its exit code; a
// SIGTERM sent to this process alone is passed on
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 128 : 1);
});
child.on('error', (error) => {
  process.stderr.write(`rules: cannot run ${cli}: ${error.message}\n`);
  process.exitCode = 1;
});
