export * from './nats-server.js';
export * from './database.js';
export * from './postgres-server.js';
export * from './wait.js';
export * from './factories.js';
export * from './stored-transactions.js';
export * from './ports.js';
