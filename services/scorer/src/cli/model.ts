#!/usr/bin/env node
// Entry point; the command lives in model.command.ts so tests can run it in-process.
import { runModelCommand } from './model.command.js';

process.exitCode = await runModelCommand(process.argv.slice(2), process);
