#!/usr/bin/env node
// Entry point; the command lives in schemas.command.ts so tests can run it in-process.
import { runSchemas } from './schemas.command.js';

// exit at once: a NATS connection that is still retrying in the background must not keep the command alive
process.exit(await runSchemas(process.argv.slice(2)));
