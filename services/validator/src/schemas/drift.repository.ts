// The SQL of schema drift: change rows, their occurrence counts, changes past a record's limit, and the
// announcements (one per source and window).
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type pg from 'pg';
import type { ChangeCounts, Drift, DriftChange } from './drift-detector.js';

// with the record's changes past its limit, in the same statement: an announcement that lists the changes also
// counts the rest
const insertChanges = sql(
  'validator.insert_schema_drift',
  `WITH unrecorded AS (
     INSERT INTO validator.schema_drift_unrecorded AS u (source, change, changes)
     SELECT * FROM unnest($8::text[], $9::text[], $10::bigint[])
     ON CONFLICT (source, change) DO UPDATE SET changes = u.changes + excluded.changes
   )
   INSERT INTO validator.schema_drift
     (source, schema_version, change, field, expected, actual, first_transaction_id, first_seen, last_seen, occurrences)
   SELECT c.source, c.schema_version, c.change, c.field, c.expected, c.actual, c.transaction_id, now(), now(), 0
     FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
          AS c(source, schema_version, change, field, expected, actual, transaction_id)
   ON CONFLICT (source, schema_version, change, field) DO NOTHING`,
);
const addOccurrences = sql(
  'validator.add_schema_drift_occurrences',
  `UPDATE validator.schema_drift d SET occurrences = d.occurrences + c.n, last_seen = greatest(d.last_seen, c.seen)
     FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
          AS c(source, schema_version, change, field, n, seen)
    WHERE d.source = c.source AND d.schema_version = c.schema_version AND d.change = c.change AND d.field = c.field`,
);
const addUnrecorded = sql(
  'validator.add_schema_drift_unrecorded',
  `INSERT INTO validator.schema_drift_unrecorded AS u (source, change, changes)
   SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
   ON CONFLICT (source, change) DO UPDATE SET changes = u.changes + excluded.changes`,
);
const tryAnnounceLock = sql(
  'validator.try_drift_announce_lock',
  `SELECT pg_try_advisory_xact_lock(hashtext('validator.drift_announce')) AS locked`,
);
// sources with changes not yet announced and no announcement in this window
const sourcesDue = sql(
  'validator.drift_sources_due',
  `SELECT DISTINCT d.source FROM validator.schema_drift d
    WHERE d.published_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM validator.drift_announcements a
                       WHERE a.source = d.source AND a.window_start = $1)
    LIMIT $2`,
);
// Marks every unannounced change of the source (those committed by now) and returns the oldest `$3` of them,
// with the number marked of each kind: marking and listing in one statement, so none is marked unlisted unseen.
const markAnnounced = sql(
  'validator.mark_schema_drift_announced',
  `WITH marked AS (
     UPDATE validator.schema_drift SET published_at = now(), announced_window = $2
      WHERE source = $1 AND published_at IS NULL
     RETURNING schema_version, change, field, expected, actual, first_transaction_id, first_seen
   )
   SELECT schema_version, change, field, expected, actual, first_transaction_id,
          count(*) FILTER (WHERE change = 'unknown_field') OVER () AS unknown_fields,
          count(*) FILTER (WHERE change = 'type_changed') OVER () AS type_changes,
          count(*) FILTER (WHERE change = 'missing_field') OVER () AS missing_fields
     FROM marked
    ORDER BY first_seen, change, field
    LIMIT $3`,
);
const takeUnrecorded = sql(
  'validator.take_schema_drift_unrecorded',
  `UPDATE validator.schema_drift_unrecorded u SET changes = 0
     FROM (SELECT change, changes FROM validator.schema_drift_unrecorded
            WHERE source = $1 AND changes > 0 FOR UPDATE) taken
    WHERE u.source = $1 AND u.change = taken.change
   RETURNING u.change, taken.changes`,
);
const saveAnnouncement = sql(
  'validator.save_drift_announcement',
  `INSERT INTO validator.drift_announcements (source, window_start, listed, new_changes, unrecorded, message)
   VALUES ($1, $2, $3, $4, $5, $6)`,
);

export interface AnnouncedChange {
  schema_version: number;
  change: DriftChange;
  field: string;
  expected: string | null;
  actual: string | null;
  first_transaction_id: string;
}

/** The changes of one source an announcement takes: the first ones in full, all of them counted by kind. */
export interface MarkedChanges {
  listed: AnnouncedChange[];
  marked: ChangeCounts;
}

export interface OccurrenceCount {
  drift: Drift;
  occurrences: number;
  lastSeen: Date;
}

export type Tx = pg.PoolClient;

const unrecordedRows = (bySource: ReadonlyMap<string, ChangeCounts>) =>
  [...bySource].flatMap(([source, counts]) =>
    (Object.keys(counts) as DriftChange[])
      .filter((change) => counts[change] > 0)
      .map((change) => ({ source, change, changes: counts[change] })),
  );

const noChanges = (): ChangeCounts => ({ unknown_field: 0, type_changed: 0, missing_field: 0 });

@Injectable()
export class DriftRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /**
   * Stores changes not stored yet (a change already stored, by any replica, is left as it is), and adds the
   * changes counted past records' limits.
   */
  async insertChanges(
    changes: readonly Drift[],
    unrecorded: ReadonlyMap<string, ChangeCounts>,
  ): Promise<void> {
    const counts = unrecordedRows(unrecorded);
    await this.db.query(insertChanges, [
      changes.map((d) => d.source),
      changes.map((d) => d.schemaVersion),
      changes.map((d) => d.change),
      changes.map((d) => d.field),
      changes.map((d) => d.expected),
      changes.map((d) => d.actual),
      changes.map((d) => d.transactionId),
      counts.map((r) => r.source),
      counts.map((r) => r.change),
      counts.map((r) => r.changes),
    ]);
  }

  async addOccurrences(counts: readonly OccurrenceCount[]): Promise<void> {
    await this.db.query(addOccurrences, [
      counts.map((c) => c.drift.source),
      counts.map((c) => c.drift.schemaVersion),
      counts.map((c) => c.drift.change),
      counts.map((c) => c.drift.field),
      counts.map((c) => c.occurrences),
      counts.map((c) => c.lastSeen),
    ]);
  }

  async addUnrecorded(bySource: ReadonlyMap<string, ChangeCounts>): Promise<void> {
    const rows = unrecordedRows(bySource);
    if (rows.length === 0) return;
    await this.db.query(addUnrecorded, [
      rows.map((r) => r.source),
      rows.map((r) => r.change),
      rows.map((r) => r.changes),
    ]);
  }

  /** Runs `fn` in a transaction that holds the announcer's lock; undefined when another replica holds it. */
  async whileAnnouncing<T>(fn: (client: Tx) => Promise<T>): Promise<T | undefined> {
    return this.db.transaction(async (client) => {
      const { rows } = await client.query<{ locked: boolean }>(tryAnnounceLock.text);
      return rows[0]?.locked ? fn(client) : undefined;
    });
  }

  async sourcesDue(client: Tx, windowStart: Date, limit: number): Promise<string[]> {
    const { rows } = await client.query<{ source: string }>(sourcesDue.text, [windowStart, limit]);
    return rows.map((r) => r.source);
  }

  async markAnnounced(
    client: Tx,
    source: string,
    windowStart: Date,
    listLimit: number,
  ): Promise<MarkedChanges> {
    const { rows } = await client.query<
      AnnouncedChange & { unknown_fields: string; type_changes: string; missing_fields: string }
    >(markAnnounced.text, [source, windowStart, listLimit]);
    const first = rows[0];
    return {
      listed: rows.map(({ schema_version, change, field, expected, actual, first_transaction_id }) => ({
        schema_version,
        change,
        field,
        expected,
        actual,
        first_transaction_id,
      })),
      marked: first
        ? {
            unknown_field: Number(first.unknown_fields),
            type_changed: Number(first.type_changes),
            missing_field: Number(first.missing_fields),
          }
        : noChanges(),
    };
  }

  /** The changes counted past records' limits since the last announcement; the counts start again from zero. */
  async takeUnrecorded(client: Tx, source: string): Promise<ChangeCounts> {
    const { rows } = await client.query<{ change: DriftChange; changes: string }>(takeUnrecorded.text, [
      source,
    ]);
    const counts = noChanges();
    for (const row of rows) counts[row.change] = Number(row.changes);
    return counts;
  }

  async saveAnnouncement(
    client: Tx,
    announcement: {
      source: string;
      windowStart: Date;
      listed: number;
      newChanges: number;
      unrecorded: number;
    },
    message: object,
  ): Promise<void> {
    await client.query(saveAnnouncement.text, [
      announcement.source,
      announcement.windowStart,
      announcement.listed,
      announcement.newChanges,
      announcement.unrecorded,
      JSON.stringify(message),
    ]);
  }
}
