import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { Role } from './principal.js';

export interface UserRow {
  username: string;
  password_hash: string;
  role: Role;
  partner_id: string | null;
  regions: string[];
}

const findUser = sql(
  'gateway.find_user',
  `SELECT username, password_hash, role, partner_id, regions FROM gateway.users WHERE username = $1`,
);

const upsertUser = sql(
  'gateway.upsert_user',
  `INSERT INTO gateway.users (username, password_hash, role, partner_id, regions)
   VALUES ($1, $2, $3, $4, $5::text[])
   ON CONFLICT (username) DO UPDATE
     SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
         partner_id = EXCLUDED.partner_id, regions = EXCLUDED.regions`,
);

const updatePasswordHash = sql(
  'gateway.update_user_password_hash',
  `UPDATE gateway.users SET password_hash = $2 WHERE username = $1 AND password_hash = $3`,
);

@Injectable()
export class UsersRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async find(username: string): Promise<UserRow | undefined> {
    const [row] = await this.db.query<UserRow>(findUser, [username]);
    return row;
  }

  /** Replaces the hash only if it is still `previous`, so a concurrent password change wins. */
  async replaceHash(username: string, previous: string, next: string): Promise<void> {
    await this.db.query(updatePasswordHash, [username, next, previous]);
  }

  async upsert(user: UserRow): Promise<void> {
    await this.db.query(upsertUser, [
      user.username,
      user.password_hash,
      user.role,
      user.partner_id,
      user.regions,
    ]);
  }
}
