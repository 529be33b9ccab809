export * from './database.js';
export * from './batch-writer.js';
export * from './migrate.js';
export * from './refusals.js';
export * from './compose.js';
