import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startAlerting } from './app.js';

await runUntilSignalled(() => startAlerting());
