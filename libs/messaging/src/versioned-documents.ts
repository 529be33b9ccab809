// Versioned configuration documents (rule sets, policies) in a NATS KV bucket: validated on write,
// numbered 1, 2, 3... by compare-and-set, and watched by every replica so a change applies without a restart.
import { Kvm, type KV, type KvWatchEntry } from '@nats-io/kv';
import type { DocumentSpec, Reason } from '@vigil/contracts';
import type { Logger } from '@vigil/observability';
import type { NatsClient } from './nats-client.js';

/** A document as stored: the payload plus the version it was given and who applied it when. */
export interface VersionedDocument<T> {
  version: number;
  document: T;
  applied_at: string;
  applied_by: string;
}

export class InvalidDocumentError extends Error {
  constructor(
    readonly key: string,
    readonly reasons: Reason[],
  ) {
    super(`${key} is not a valid document: ${reasons.map((r) => r.message).join('; ')}`);
    this.name = 'InvalidDocumentError';
  }
}

/** Thrown when the document changed between reading the current version and writing the next one. */
export class DocumentConflictError extends Error {
  constructor(
    readonly key: string,
    readonly expectedVersion: number,
  ) {
    super(`${key} changed since version ${expectedVersion}; read it again and re-apply`);
    this.name = 'DocumentConflictError';
  }
}

export interface DocumentWatch {
  stop(): void;
  /** Resolves once the watch has delivered the document current when it started (or found none). */
  readonly ready: Promise<void>;
}

const HISTORY = 64;

export class DocumentStore<T> {
  private constructor(
    private readonly kv: KV,
    private readonly spec: DocumentSpec<T>,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating if needed) the bucket that keeps this document. Safe from every replica. */
  static async open<T>(nats: NatsClient, spec: DocumentSpec<T>, logger: Logger): Promise<DocumentStore<T>> {
    const kv = await new Kvm(nats.connection).create(spec.bucket, { history: HISTORY });
    return new DocumentStore(kv, spec, logger);
  }

  get key(): string {
    return this.spec.key;
  }

  /** Checks a document without storing it; returns the reasons it would be refused (empty when valid). */
  check(document: unknown): Reason[] {
    return this.spec.validate(document) ? [] : this.spec.validate.reasons();
  }

  async current(): Promise<VersionedDocument<T> | undefined> {
    const entry = await this.kv.get(this.spec.key);
    return entry && entry.operation === 'PUT' ? this.decode(entry) : undefined;
  }

  /**
   * Stores `document` as the next version. With `expectedVersion` the write only succeeds when the
   * current version is still that one (0: no document yet), so two operators cannot overwrite each other.
   */
  async apply(document: unknown, appliedBy: string, expectedVersion?: number): Promise<VersionedDocument<T>> {
    if (!this.spec.validate(document))
      throw new InvalidDocumentError(this.spec.key, this.spec.validate.reasons());
    const entry = await this.kv.get(this.spec.key);
    const live = entry?.operation === 'PUT' ? entry : undefined;
    const currentVersion = live ? this.decode(live).version : 0;
    if (expectedVersion !== undefined && expectedVersion !== currentVersion) {
      throw new DocumentConflictError(this.spec.key, expectedVersion);
    }
    // after a removal the numbers go on from the last version kept, so a version names one document for good
    const lastVersion = live ? currentVersion : entry ? await this.lastKeptVersion() : 0;
    const next: VersionedDocument<T> = {
      version: lastVersion + 1,
      document,
      applied_at: new Date().toISOString(),
      applied_by: appliedBy,
    };
    const payload = JSON.stringify(next);
    try {
      if (entry) await this.kv.update(this.spec.key, payload, entry.revision);
      else await this.kv.create(this.spec.key, payload);
    } catch (error) {
      // the revision moved under us: someone else applied a version in between
      if (isWrongLastSequence(error)) throw new DocumentConflictError(this.spec.key, currentVersion);
      throw error;
    }
    return next;
  }

  /**
   * Removes the document if it is still at `expectedVersion` (a delete marker: the history stays). Running
   * services keep the version they applied; returns false when there was no document.
   */
  async remove(expectedVersion: number): Promise<boolean> {
    const entry = await this.kv.get(this.spec.key);
    if (!entry || entry.operation !== 'PUT') return false;
    if (this.decode(entry).version !== expectedVersion)
      throw new DocumentConflictError(this.spec.key, expectedVersion);
    try {
      await this.kv.delete(this.spec.key, { previousSeq: entry.revision });
    } catch (error) {
      if (isWrongLastSequence(error)) throw new DocumentConflictError(this.spec.key, expectedVersion);
      throw error;
    }
    return true;
  }

  /** The highest version number the bucket still keeps, removed or not (0 when none). */
  private async lastKeptVersion(): Promise<number> {
    let last = 0;
    for await (const entry of await this.kv.history({ key: this.spec.key })) {
      const version = entry.operation === 'PUT' ? entry.json<{ version?: unknown }>()?.version : undefined;
      if (typeof version === 'number' && version > last) last = version;
    }
    return last;
  }

  /** Every version still kept by the bucket, oldest first. */
  async history(): Promise<VersionedDocument<T>[]> {
    const versions: VersionedDocument<T>[] = [];
    const iterator = await this.kv.history({ key: this.spec.key });
    for await (const entry of iterator) {
      if (entry.operation === 'PUT') versions.push(this.decode(entry));
    }
    return versions;
  }

  /**
   * Calls `onChange` with the current document and then with every new version. A version that fails
   * validation, or that `onChange` rejects by throwing, is logged and skipped: the previous one stays applied.
   * `onRemoved`, when given, is called whenever the document is removed (and at the start when the key's last
   * entry is a removal); services leave it out and keep the version they have.
   */
  watch(
    onChange: (document: VersionedDocument<T>) => void,
    options: { onRemoved?: () => void } = {},
  ): DocumentWatch {
    let stopped = false;
    let stopIterator: (() => void) | undefined;
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const run = async (): Promise<void> => {
      const { onRemoved } = options;
      const iterator = await this.kv.watch({ key: this.spec.key, ignoreDeletes: onRemoved === undefined });
      stopIterator = () => iterator.stop();
      if (stopped) iterator.stop();
      // a watch on an empty key delivers nothing until the first put: it is ready at once
      if ((await this.kv.get(this.spec.key))?.operation !== 'PUT') markReady();
      for await (const entry of iterator) {
        if (entry.operation === 'PUT') this.deliver(entry, onChange);
        else this.deliverRemoval(onRemoved);
        markReady();
      }
    };
    run().catch((error: unknown) => {
      this.logger.error({ err: error, key: this.spec.key }, 'document watch ended');
      markReady();
    });
    return {
      ready,
      stop: () => {
        stopped = true;
        stopIterator?.();
      },
    };
  }

  private deliverRemoval(onRemoved: (() => void) | undefined): void {
    try {
      onRemoved?.();
    } catch (error) {
      this.logger.error({ err: error, key: this.spec.key }, 'document removal not handled');
    }
  }

  private deliver(entry: KvWatchEntry, onChange: (document: VersionedDocument<T>) => void): void {
    if (entry.operation !== 'PUT') return;
    let versioned: VersionedDocument<T>;
    try {
      versioned = this.decode(entry);
    } catch (error) {
      this.logger.error(
        { err: error, key: this.spec.key, revision: entry.revision },
        'ignoring invalid document',
      );
      return;
    }
    try {
      onChange(versioned);
      this.logger.info({ key: this.spec.key, version: versioned.version }, 'document applied');
    } catch (error) {
      this.logger.error(
        { err: error, key: this.spec.key, version: versioned.version },
        'document refused; keeping the previous version',
      );
    }
  }

  private decode(entry: { json<V>(): V; revision: number }): VersionedDocument<T> {
    const stored = entry.json<VersionedDocument<unknown>>();
    if (typeof stored?.version !== 'number' || !this.spec.validate(stored.document)) {
      throw new InvalidDocumentError(this.spec.key, this.spec.validate.reasons());
    }
    return stored as VersionedDocument<T>;
  }
}

function isWrongLastSequence(error: unknown): boolean {
  // JetStream API error 10071: wrong last sequence for the subject
  return (
    error instanceof Error &&
    /wrong last sequence|10071/i.test(error.message + String((error as { code?: unknown }).code))
  );
}
