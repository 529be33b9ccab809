// Schema drift on the stream: each change is stored once per (source, schema version, change, field) and
// announced once on dq.drift.<source>, however many records show it and however many replicas see it.
import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Events } from '@vigil/contracts';
import { Database, sql } from '@vigil/db';
import { JetStreamPublisher } from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { Counter } from 'prom-client';
import { detectDrift, type Drift } from './drift-detector.js';
import { SchemaRegistryService } from './schema-registry.service.js';

const insertDrift = sql(
  'validator.insert_schema_drift',
  `INSERT INTO validator.schema_drift
     (source, schema_version, change, field, expected, actual, first_transaction_id, first_seen, last_seen, occurrences)
   VALUES ($1, $2, $3, $4, $5, $6, $7, now(), now(), 0)
   ON CONFLICT (source, schema_version, change, field) DO NOTHING`,
);
const findDrift = sql(
  'validator.find_schema_drift',
  `SELECT expected, actual, first_transaction_id, published_at,
          to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS first_seen
     FROM validator.schema_drift WHERE source = $1 AND schema_version = $2 AND change = $3 AND field = $4`,
);
const markPublished = sql(
  'validator.mark_schema_drift_published',
  `UPDATE validator.schema_drift SET published_at = now()
    WHERE source = $1 AND schema_version = $2 AND change = $3 AND field = $4 AND published_at IS NULL`,
);
const addOccurrences = sql(
  'validator.add_schema_drift_occurrences',
  `UPDATE validator.schema_drift d SET occurrences = d.occurrences + c.n, last_seen = greatest(d.last_seen, c.seen)
     FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
          AS c(source, schema_version, change, field, n, seen)
    WHERE d.source = c.source AND d.schema_version = c.schema_version AND d.change = c.change AND d.field = c.field`,
);

interface KnownDrift {
  drift: Drift;
  unflushed: number;
  lastSeen: number;
  stored: Promise<void>;
  /** Set once stored: only then is there a row to add occurrences to. */
  ready: boolean;
}

/** A subject token for a source: NATS tokens cannot hold dots, spaces or wildcards. */
export const sourceToken = (source: string): string =>
  source.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || '_';

const keyOf = (d: Drift) => `${d.source}\u0000${d.schemaVersion}\u0000${d.change}\u0000${d.field}`;

/** Distinct changes remembered per process; beyond this a source naming ever new fields is only counted. */
const MAX_KNOWN = 10_000;

@Injectable()
export class DriftService implements OnApplicationShutdown {
  /**
   * Changes this process knows, with occurrences not yet added to the table; `stored` settles once the change
   * is stored and announced (records arriving meanwhile wait for it rather than storing it again).
   */
  private readonly known = new Map<string, KnownDrift>();
  private readonly records: Counter<'source' | 'change'>;

  constructor(
    @Inject(SchemaRegistryService) private readonly registry: SchemaRegistryService,
    @Inject(Database) private readonly db: Database,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(OpsServer) ops: OpsServer,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.records = new Counter({
      name: 'vigil_validator_schema_drift_total',
      help: 'Records that differ from their source schema, by source and kind of change',
      labelNames: ['source', 'change'],
      registers: [ops.registry],
    });
  }

  /**
   * Checks one record; a change not seen before by this process is stored and announced before it returns.
   * `conforms`: the record passed the transaction schema, which narrows what can differ from the contract.
   */
  async observe(source: string, record: unknown, transactionId: string, conforms: boolean): Promise<void> {
    const changes = detectDrift(this.registry.schemaFor(source), record, transactionId, conforms);
    if (!changes) return;
    const now = Date.now();
    for (const drift of changes) {
      this.records.inc({ source: sourceToken(drift.source), change: drift.change });
      const key = keyOf(drift);
      let known = this.known.get(key);
      if (!known) {
        if (this.known.size >= MAX_KNOWN) {
          await this.store(drift);
          continue;
        }
        const entry: KnownDrift = {
          drift,
          unflushed: 0,
          lastSeen: now,
          stored: this.store(drift),
          ready: false,
        };
        this.known.set(key, entry);
        entry.stored.then(
          () => (entry.ready = true),
          // a failed store is tried again by the next record that shows the change
          () => {
            if (this.known.get(key) === entry) this.known.delete(key);
          },
        );
        known = entry;
      }
      known.unflushed++;
      known.lastSeen = now;
      await known.stored;
    }
  }

  private async store(drift: Drift): Promise<void> {
    const key = [drift.source, drift.schemaVersion, drift.change, drift.field];
    await this.db.query(insertDrift, [...key, drift.expected, drift.actual, drift.transactionId]);
    const [row] = await this.db.query<{
      expected: string | null;
      actual: string | null;
      first_transaction_id: string;
      first_seen: string;
      published_at: Date | null;
    }>(findDrift, key);
    if (!row || row.published_at) return;
    // every replica that sees the change before it is marked publishes the same message id: the stream keeps one
    await this.publisher.publish(
      Events.schemaDriftDetected,
      sourceToken(drift.source),
      {
        source: drift.source,
        ...(drift.schemaVersion > 0 ? { schema_version: drift.schemaVersion } : {}),
        change: drift.change,
        field: drift.field,
        ...(row.expected ? { expected: row.expected } : {}),
        ...(row.actual ? { actual: row.actual } : {}),
        detected_at: row.first_seen,
        transaction_id: row.first_transaction_id,
      },
      { msgId: createHash('sha256').update(keyOf(drift)).digest('hex').slice(0, 32) },
    );
    await this.db.query(markPublished, key);
    this.logger.info(
      { source: drift.source, change: drift.change, field: drift.field },
      'schema drift detected',
    );
  }

  /** Adds the occurrences counted since the last flush to the drift rows (called periodically). */
  async flushCounts(): Promise<void> {
    const due = [...this.known.values()].filter((k) => k.unflushed > 0 && k.ready);
    if (due.length === 0) return;
    const counts = due.map((k) => ({ ...k }));
    for (const k of due) k.unflushed = 0;
    try {
      await this.db.query(addOccurrences, [
        counts.map((c) => c.drift.source),
        counts.map((c) => c.drift.schemaVersion),
        counts.map((c) => c.drift.change),
        counts.map((c) => c.drift.field),
        counts.map((c) => c.unflushed),
        counts.map((c) => new Date(c.lastSeen)),
      ]);
    } catch (error) {
      // counted again next time rather than lost
      counts.forEach((c, i) => (due[i]!.unflushed += c.unflushed));
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushCounts().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'schema drift counts not flushed at shutdown'),
    );
  }
}
