export * from './money.js';
export * from './regions.js';
export * from './schemas.js';
export * from './validation.js';
export * from './subjects.js';
