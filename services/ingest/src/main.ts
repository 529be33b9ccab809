import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startIngest } from './app.js';

await runUntilSignalled(() => startIngest());
