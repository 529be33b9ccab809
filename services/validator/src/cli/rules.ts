#!/usr/bin/env node
// Entry point; the command lives in rules.command.ts so tests can run it in-process.
import { runRules } from './rules.command.js';

// exit at once: a NATS connection that is still retrying in the background must not keep the command alive
process.exit(await runRules(process.argv.slice(2)));
