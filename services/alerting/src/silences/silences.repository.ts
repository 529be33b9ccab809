import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

export interface SilenceRow {
  silence_id: string;
  matchers: string[];
  starts_at: Date;
  ends_at: Date;
  comment: string;
  created_by: string;
}

const COLUMNS = 'silence_id::text AS silence_id, matchers, starts_at, ends_at, comment, created_by';

const insert = sql(
  'alerting.insert_silence',
  `INSERT INTO alerting.silences (silence_id, matchers, starts_at, ends_at, comment, created_by)
   VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
);
// a silence not started yet is moved back so that it ends after it starts, as the table requires
const expire = sql(
  'alerting.expire_silence',
  `UPDATE alerting.silences
      SET starts_at = LEAST(starts_at, $2::timestamptz - interval '1 millisecond'),
          ends_at = LEAST(ends_at, $2::timestamptz), expired_by = COALESCE(expired_by, $3)
    WHERE silence_id = $1 RETURNING ${COLUMNS}`,
);
const list = sql(
  'alerting.list_silences',
  `SELECT ${COLUMNS} FROM alerting.silences WHERE $1::boolean OR ends_at > $2 ORDER BY ends_at DESC LIMIT 500`,
);

@Injectable()
export class SilencesRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async insert(silence: SilenceRow): Promise<SilenceRow> {
    const [row] = await this.db.query<SilenceRow & Record<string, unknown>>(insert, [
      silence.silence_id,
      JSON.stringify(silence.matchers),
      silence.starts_at,
      silence.ends_at,
      silence.comment,
      silence.created_by,
    ]);
    return row!;
  }

  async expire(silenceId: string, at: Date, by: string): Promise<SilenceRow | undefined> {
    return (await this.db.query<SilenceRow & Record<string, unknown>>(expire, [silenceId, at, by]))[0];
  }

  list(includeExpired: boolean, now: Date): Promise<SilenceRow[]> {
    return this.db.query<SilenceRow & Record<string, unknown>>(list, [includeExpired, now]);
  }
}
