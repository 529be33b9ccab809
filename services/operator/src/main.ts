import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startOperator } from './app.js';

await runUntilSignalled(() => startOperator());
