import 'reflect-metadata';
import { runUntilSignalled } from '@vigil/runtime';
import { startGateway } from './app.js';
import { gatewayEnv } from './config.js';
import { startEdge } from './edge/edge.js';

const env = gatewayEnv();
const upstream = env.GATEWAY_UPSTREAM_URL;
await runUntilSignalled(() =>
  upstream ? startEdge({ ...env, GATEWAY_UPSTREAM_URL: upstream }) : startGateway(env),
);
