#!/usr/bin/env node
// Entry point; the command lives in generate.command.ts so tests can run it in-process.
import { runGenerate } from './generate.command.js';

process.exitCode = await runGenerate(process.argv.slice(2));
