// `npm run rules -- <command>`: `backtest` replays stored scores through candidate scoring rules (the scorer's
// CLI); every other command manages the validator's rule sets (the validator's CLI). The dispatch lives here so
// that neither service imports the other.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const backtest = argv[0] === 'backtest';
const help = argv[0] === '-h' || argv[0] === '--help';
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
  // the validator's help lists its own commands; the one served by the scorer is named here
  if (help && code === 0)
    process.stdout.write(
      'Also: backtest -f <rules.yaml> --from <date> --to <date>: replay stored scores through candidate scoring\n' +
        'rules (the scorer); npm run rules -- backtest --help\n',
    );
  process.exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
});
child.on('error', (error) => {
  process.stderr.write(`rules: cannot run ${cli}: ${error.message}\n`);
  process.exitCode = 1;
});
