// Configuration documents in NATS KV: numbered versions, validation on write, hot swap to every watcher.
import { compile, type DocumentSpec } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import {
  DocumentConflictError,
  DocumentStore,
  InvalidDocumentError,
  type VersionedDocument,
} from '../src/index.js';
import { type Harness, logger, startHarness, stopHarness } from './support.js';

interface Limits {
  max_amount: number;
}

const limitsSpec = (key: string): DocumentSpec<Limits> => ({
  bucket: 'test-config',
  key,
  validate: compile<Limits>({
    type: 'object',
    required: ['max_amount'],
    additionalProperties: false,
    properties: { max_amount: { type: 'number', minimum: 0 } },
  }),
});

describe('DocumentStore', () => {
  let harness: Harness;
  let messaging: Harness['messaging'];

  beforeAll(async () => {
    harness = await startHarness();
    messaging = harness.messaging;
  });
  afterAll(async () => {
    await stopHarness(harness);
  });

  it('numbers versions 1, 2, 3 and keeps their history with who applied them', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('numbered'), logger);

    await store.apply({ max_amount: 10 }, 'alice');
    await store.apply({ max_amount: 20 }, 'bob');
    const third = await store.apply({ max_amount: 30 }, 'alice');

    expect(third.version).toBe(3);
    expect((await store.current())?.document).toEqual({ max_amount: 30 });
    expect((await store.history()).map((v) => [v.version, v.applied_by, v.document.max_amount])).toEqual([
      [1, 'alice', 10],
      [2, 'bob', 20],
      [3, 'alice', 30],
    ]);
  });

  it('refuses an invalid document with the reason and leaves the current version in place', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('refused'), logger);
    await store.apply({ max_amount: 10 }, 'alice');

    const refused = store.apply({ max_amount: -1 }, 'alice');

    await expect(refused).rejects.toThrow(InvalidDocumentError);
    await expect(refused).rejects.toThrow(/max_amount must be >= 0/);
    expect((await store.current())?.version).toBe(1);
  });

  it('refuses a write based on a version that is no longer current', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('conflict'), logger);
    await store.apply({ max_amount: 10 }, 'alice');
    await store.apply({ max_amount: 11 }, 'bob', 1);

    await expect(store.apply({ max_amount: 12 }, 'carol', 1)).rejects.toThrow(DocumentConflictError);
    expect((await store.current())?.document.max_amount).toBe(11);
  });

  it('removes a document only at the version expected, and numbers the next one after the last kept', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('removed'), logger);
    await store.apply({ max_amount: 10 }, 'alice');
    await store.apply({ max_amount: 20 }, 'alice', 1);

    await expect(store.remove(1)).rejects.toBeInstanceOf(DocumentConflictError);
    expect(await store.remove(2)).toBe(true);
    expect(await store.current()).toBeUndefined();
    expect(await store.remove(2)).toBe(false);

    const next = await store.apply({ max_amount: 30 }, 'bob', 0);
    expect(next.version).toBe(3);
    expect((await store.history()).map((v) => v.version)).toEqual([1, 2, 3]);
  });

  it('delivers the current document to a new watcher, then each new version to every watcher', async () => {
    const writer = await DocumentStore.open(messaging.nats, limitsSpec('watched'), logger);
    await writer.apply({ max_amount: 1 }, 'alice');
    const replicas = [
      await DocumentStore.open(messaging.nats, limitsSpec('watched'), logger),
      await DocumentStore.open(messaging.nats, limitsSpec('watched'), logger),
    ];
    const seen: VersionedDocument<Limits>[][] = [[], []];
    const watches = replicas.map((replica, i) => replica.watch((doc) => seen[i]!.push(doc)));
    await Promise.all(watches.map((w) => w.ready));
    expect(seen.map((s) => s.map((d) => d.version))).toEqual([[1], [1]]);

    await writer.apply({ max_amount: 2 }, 'alice');

    await waitFor(
      () => Promise.resolve(seen.map((s) => s.length)),
      (lengths) => lengths.every((n) => n === 2),
      { timeoutMs: 2_000, what: 'version 2 on both watchers' },
    );
    expect(seen.map((s) => s.at(-1)?.document)).toEqual([{ max_amount: 2 }, { max_amount: 2 }]);
    watches.forEach((w) => w.stop());
  });

  it('keeps the previous version applied when the watcher refuses a new one', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('kept'), logger);
    await store.apply({ max_amount: 5 }, 'alice');
    const applied: number[] = [];
    const watch = store.watch((doc) => {
      if (doc.document.max_amount > 100) throw new Error('too generous for this service');
      applied.push(doc.document.max_amount);
    });
    await watch.ready;

    await store.apply({ max_amount: 500 }, 'alice');
    await store.apply({ max_amount: 7 }, 'alice');

    await waitFor(
      () => Promise.resolve(applied.at(-1)),
      (value) => value === 7,
      { timeoutMs: 2_000, what: 'version 3 applied' },
    );
    expect(applied).toEqual([5, 7]);
    watch.stop();
  });

  it('tells a watcher that asks when the document is removed, and goes on delivering new versions', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('watched-removal'), logger);
    await store.apply({ max_amount: 1 }, 'alice');
    const events: string[] = [];
    const watch = store.watch((doc) => events.push(`version ${doc.version}`), {
      onRemoved: () => events.push('removed'),
    });
    await watch.ready;

    expect(await store.remove(1)).toBe(true);
    await store.apply({ max_amount: 2 }, 'bob', 0);
    await waitFor(
      () => Promise.resolve(events.length),
      (n) => n === 3,
      { timeoutMs: 2_000, what: 'the removal and version 2' },
    );
    expect(events).toEqual(['version 1', 'removed', 'version 2']);
    watch.stop();
  });

  it('is ready at once when no document has been applied yet', async () => {
    const store = await DocumentStore.open(messaging.nats, limitsSpec('empty'), logger);
    const seen: number[] = [];
    const watch = store.watch((doc) => seen.push(doc.version));

    await watch.ready;
    expect(seen).toEqual([]);
    await store.apply({ max_amount: 1 }, 'alice');
    await waitFor(
      () => Promise.resolve(seen.length),
      (n) => n === 1,
      { timeoutMs: 2_000, what: 'first version' },
    );
    watch.stop();
  });
});
