export * from './env.js';
export * from './secrets.js';
export * from './platform.js';
