export * from './money.js';
export * from './regions.js';
export * from './schemas.js';
export * from './alerting.js';
export * from './data-quality.js';
export * from './validation.js';
export * from './subjects.js';
export * from './transaction-key.js';
