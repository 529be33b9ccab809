#!/usr/bin/env node
// Entry point; the command lives in reconcile.command.ts so tests can run it in-process.
import { runReconcile } from './reconcile.command.js';

process.exit(await runReconcile(process.argv.slice(2)));
