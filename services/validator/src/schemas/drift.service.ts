// Schema drift on the stream: each change is stored once per (source, schema version, change, field), at most
// DRIFT_CHANGES_PER_RECORD of them per record (the rest counted), and announced on dq.drift.<source> at most
// once per source and window, as one message listing the new changes, however many records show them and
// however many replicas see them.
import { createHash } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { DRIFT_CHANGES, DRIFT_CHANGES_LISTED, Events, type SchemaDriftDetected } from '@vigil/contracts';
import { JetStreamPublisher } from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { Counter } from 'prom-client';
import { detectDrift, type ChangeCounts, type Drift } from './drift-detector.js';
import { DriftRepository, type MarkedChanges } from './drift.repository.js';
import { SchemaRegistryService } from './schema-registry.service.js';

export const DRIFT_SETTINGS = Symbol('DRIFT_SETTINGS');
export interface DriftSettings {
  /** A source's drift is announced at most once per window of this length (aligned to the epoch). */
  announceWindowMs: number;
  /** Changes one record may store; the rest are counted by kind. */
  changesPerRecord: number;
}

/** Sources announced per run at most; the others wait for the next run. */
const SOURCES_PER_RUN = 100;

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
   * is stored (records arriving meanwhile wait for it rather than storing it again).
   */
  private readonly known = new Map<string, KnownDrift>();
  /** Changes past records' limits, by source and kind, not yet added to the table. */
  private unrecorded = new Map<string, ChangeCounts>();
  private readonly records: Counter<'source' | 'change'>;

  constructor(
    @Inject(SchemaRegistryService) private readonly registry: SchemaRegistryService,
    @Inject(DriftRepository) private readonly repository: DriftRepository,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(OpsServer) ops: OpsServer,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(DRIFT_SETTINGS) private readonly settings: DriftSettings,
  ) {
    this.records = new Counter({
      name: 'vigil_validator_schema_drift_total',
      help: 'Changes from their source schema seen in records, by source and kind of change',
      labelNames: ['source', 'change'],
      registers: [ops.registry],
    });
  }

  /**
   * Checks one record; a change not seen before by this process is stored before it returns (announcing is
   * left to `announce`). `conforms`: the record passed the transaction schema, which narrows what can differ.
   */
  async observe(source: string, record: unknown, transactionId: string, conforms: boolean): Promise<void> {
    const found = detectDrift(
      this.registry.schemaFor(source),
      record,
      transactionId,
      conforms,
      this.settings.changesPerRecord,
    );
    if (!found) return;
    const now = Date.now();
    const token = sourceToken(source);
    const fresh: Drift[] = [];
    const added: KnownDrift[] = [];
    const waits = new Set<Promise<void>>();
    for (const drift of found.changes) {
      this.records.inc({ source: token, change: drift.change });
      const known = this.known.get(keyOf(drift));
      if (known) {
        known.unflushed++;
        known.lastSeen = now;
        waits.add(known.stored);
        continue;
      }
      fresh.push(drift);
      // beyond this many a source naming ever new fields is stored but its occurrences are not counted
      if (this.known.size >= MAX_KNOWN) continue;
      const entry: KnownDrift = {
        drift,
        unflushed: 1,
        lastSeen: now,
        stored: Promise.resolve(),
        ready: false,
      };
      this.known.set(keyOf(drift), entry);
      added.push(entry);
    }
    if (fresh.length === 0) this.countUnrecorded(source, found.omitted, token);
    else {
      // one statement for all of a record's new changes and the count of those past its limit
      this.countOmitted(found.omitted, token);
      const stored = this.repository.insertChanges(fresh, new Map([[source, found.omitted]]));
      for (const entry of added) {
        entry.stored = stored;
        stored.then(
          () => (entry.ready = true),
          // a failed store is tried again by the next record that shows the change
          () => {
            if (this.known.get(keyOf(entry.drift)) === entry) this.known.delete(keyOf(entry.drift));
          },
        );
      }
      waits.add(stored);
    }
    await Promise.all(waits);
  }

  /** Counts a record's changes past its limit, to be added to the table by the next flush. */
  private countUnrecorded(source: string, omitted: ChangeCounts, token?: string): void {
    if (omitted.unknown_field + omitted.type_changed + omitted.missing_field === 0) return;
    let counts = this.unrecorded.get(source);
    if (!counts) {
      counts = { unknown_field: 0, type_changed: 0, missing_field: 0 };
      this.unrecorded.set(source, counts);
    }
    for (const change of DRIFT_CHANGES) counts[change] += omitted[change];
    if (token) this.countOmitted(omitted, token);
  }

  private countOmitted(omitted: ChangeCounts, token: string): void {
    for (const change of DRIFT_CHANGES)
      if (omitted[change] > 0) this.records.inc({ source: token, change }, omitted[change]);
  }

  /** Adds the occurrences counted since the last flush to the drift rows (called periodically). */
  async flushCounts(): Promise<void> {
    await this.flushUnrecorded();
    const due = [...this.known.values()].filter((k) => k.unflushed > 0 && k.ready);
    if (due.length === 0) return;
    const counts = due.map((k) => ({
      drift: k.drift,
      occurrences: k.unflushed,
      lastSeen: new Date(k.lastSeen),
    }));
    for (const k of due) k.unflushed = 0;
    try {
      await this.repository.addOccurrences(counts);
    } catch (error) {
      // counted again next time rather than lost
      counts.forEach((c, i) => (due[i]!.unflushed += c.occurrences));
      throw error;
    }
  }

  private async flushUnrecorded(): Promise<void> {
    if (this.unrecorded.size === 0) return;
    const taken = this.unrecorded;
    this.unrecorded = new Map();
    try {
      await this.repository.addUnrecorded(taken);
    } catch (error) {
      for (const [source, counts] of taken) this.countUnrecorded(source, counts);
      throw error;
    }
  }

  /**
   * Announces, for each source with changes not announced yet and no announcement in the current window, one
   * message listing them. One replica at a time (a transaction-level advisory lock); the message is published
   * inside the transaction that marks the changes, under an id derived from source and window, so a retry after
   * a failed commit is deduplicated by the stream. Returns the sources announced.
   */
  async announce(now = new Date()): Promise<string[]> {
    const windowMs = this.settings.announceWindowMs;
    const windowStart = new Date(Math.floor(now.getTime() / windowMs) * windowMs);
    const announced = await this.repository.whileAnnouncing(async (client) => {
      const sources = await this.repository.sourcesDue(client, windowStart, SOURCES_PER_RUN);
      for (const source of sources) {
        const marked = await this.repository.markAnnounced(client, source, windowStart, DRIFT_CHANGES_LISTED);
        if (marked.listed.length === 0) continue;
        const unrecorded = await this.repository.takeUnrecorded(client, source);
        const message = announcementOf(source, windowStart, marked, unrecorded, now);
        await this.publisher.publish(Events.schemaDriftDetected, sourceToken(source), message, {
          msgId: createHash('sha256')
            .update(`${source}\u0000${windowStart.toISOString()}`)
            .digest('hex')
            .slice(0, 32),
        });
        const newChanges =
          marked.marked.unknown_field + marked.marked.type_changed + marked.marked.missing_field;
        const unrecordedTotal = unrecorded.unknown_field + unrecorded.type_changed + unrecorded.missing_field;
        await this.repository.saveAnnouncement(
          client,
          { source, windowStart, listed: marked.listed.length, newChanges, unrecorded: unrecordedTotal },
          message,
        );
        this.logger.info(
          {
            source,
            window: message.window_start,
            newChanges,
            unrecorded: unrecordedTotal,
            fields: marked.listed.slice(0, 5).map((c) => c.field),
          },
          'schema drift announced',
        );
      }
      return sources;
    });
    return announced ?? [];
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushCounts().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'schema drift counts not flushed at shutdown'),
    );
  }
}

/** The message for one source and window: the listed changes in full, every other one counted by kind. */
export function announcementOf(
  source: string,
  windowStart: Date,
  marked: MarkedChanges,
  unrecorded: ChangeCounts,
  now: Date,
): SchemaDriftDetected {
  const more: ChangeCounts = { ...unrecorded };
  for (const change of DRIFT_CHANGES)
    more[change] += marked.marked[change] - marked.listed.filter((c) => c.change === change).length;
  return {
    source,
    window_start: windowStart.toISOString(),
    changes: marked.listed.map((c) => ({
      change: c.change,
      field: c.field,
      ...(c.schema_version > 0 ? { schema_version: c.schema_version } : {}),
      ...(c.expected ? { expected: c.expected } : {}),
      ...(c.actual ? { actual: c.actual } : {}),
      transaction_id: c.first_transaction_id,
    })),
    more_changes: more,
    detected_at: now.toISOString(),
    transaction_id: marked.listed[0]!.first_transaction_id,
  };
}
