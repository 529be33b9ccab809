// Records each configuration version a replica applies, once across replicas and restarts: a row in
// validator.config_versions and, with it, an audit entry.
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { Database, sql } from '@vigil/db';
import { backoffMs, type BackoffPolicy, type VersionedDocument } from '@vigil/messaging';
import { LOGGER } from '@vigil/runtime';
import { hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuditLog } from './audit-log.js';

const insertVersion = sql(
  'validator.insert_config_version',
  `INSERT INTO validator.config_versions (key, version, digest, document, applied_by, applied_at)
   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (key, version) DO NOTHING RETURNING version`,
);

/** While Postgres is away: 500 ms, doubling, at most a minute; the version is recorded once it is back. */
const RECORD_RETRY: BackoffPolicy = { baseMs: 500, capMs: 60_000 };

@Injectable()
export class ConfigAudit implements OnApplicationShutdown {
  private readonly stopping = new AbortController();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Records in the background, retrying while Postgres is away; a version already recorded is left alone. */
  recordInBackground(key: string, versioned: VersionedDocument<unknown>): void {
    const task = this.recordWithRetry(key, versioned).finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  async record(key: string, versioned: VersionedDocument<unknown>): Promise<boolean> {
    const document = JSON.stringify(versioned.document);
    const digest = hash('sha256', document, 'hex');
    return this.db.transaction(async (client) => {
      const head = await AuditLog.lockHead(client);
      const { rows } = await client.query(insertVersion.text, [
        key,
        versioned.version,
        digest,
        document,
        versioned.applied_by,
        versioned.applied_at,
      ]);
      if (rows.length === 0) return false;
      await AuditLog.append(client, head, [
        {
          kind: 'config.applied',
          subject: `${key}@${versioned.version}`,
          payload: {
            key,
            version: versioned.version,
            sha256: digest,
            applied_by: versioned.applied_by,
            applied_at: versioned.applied_at,
          },
        },
      ]);
      return true;
    });
  }

  private async recordWithRetry(key: string, versioned: VersionedDocument<unknown>): Promise<void> {
    for (let attempt = 1; !this.stopping.signal.aborted; attempt++) {
      try {
        await this.record(key, versioned);
        return;
      } catch (error) {
        this.logger.warn(
          { err: error, key, version: versioned.version },
          'recording the configuration version failed, will retry',
        );
        await sleep(backoffMs(attempt, RECORD_RETRY), undefined, { signal: this.stopping.signal }).catch(
          () => undefined,
        );
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await Promise.allSettled([...this.pending]);
  }
}
