#!/usr/bin/env node
// Entry point; the command lives in audit.command.ts so tests can run it in-process.
import { runAudit } from './audit.command.js';

// exit at once: a NATS connection that is still retrying in the background must not keep the command alive
process.exit(await runAudit(process.argv.slice(2)));
