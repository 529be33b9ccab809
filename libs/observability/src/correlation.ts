// The correlation id of the work in progress, carried across HTTP and NATS hops.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const storage = new AsyncLocalStorage<string>();

export const Correlation = {
  current: (): string | undefined => storage.getStore(),
  run: <T>(id: string | undefined, fn: () => T): T => storage.run(id ?? randomUUID(), fn),
};
