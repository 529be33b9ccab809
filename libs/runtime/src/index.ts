export * from './env.js';
export * from './secrets.js';
export * from './platform.js';
export * from './platform.module.js';
export * from './microservice.js';
export * from './http-tracing.js';
export * from './startup.js';
