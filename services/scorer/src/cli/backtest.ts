#!/usr/bin/env node
// Entry point of `npm run rules -- backtest`; the command lives in backtest.command.ts so tests can run it in-process.
import { runBacktestCommand } from './backtest.command.js';

process.exitCode = await runBacktestCommand(process.argv.slice(2), process);
