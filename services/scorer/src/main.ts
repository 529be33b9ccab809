import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startScorer } from './app.js';

await runUntilSignalled(() => startScorer());
