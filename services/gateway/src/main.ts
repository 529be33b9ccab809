import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startGateway } from './app.js';

await runUntilSignalled(() => startGateway());
