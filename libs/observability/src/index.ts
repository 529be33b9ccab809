export * from './telemetry.js';
export * from './logger.js';
export * from './ops-server.js';
export * from './correlation.js';
export * from './metrics.js';
