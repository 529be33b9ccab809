#!/usr/bin/env node
// Entry point; the command lives in import-paysim.command.ts so tests can run it in-process.
import { runImportPaysim } from './import-paysim.command.js';

process.exitCode = await runImportPaysim(process.argv.slice(2));
