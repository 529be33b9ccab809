import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startValidator } from './app.js';

await runUntilSignalled(() => startValidator());
