// Development sign-ins for trying the API: one user per role, a region-limited analyst and two partners to show the scoping.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@vigil/observability';
import { retryAtStartup } from '@vigil/runtime';
import type { AuthService } from './auth.service.js';
import type { UserRow } from './users.repository.js';

export const DEMO_USERS: readonly Omit<UserRow, 'password_hash'>[] = [
  { username: 'admin', role: 'admin', partner_id: null, regions: [] },
  { username: 'analyst', role: 'analyst', partner_id: null, regions: [] },
  { username: 'analyst-ng', role: 'analyst', partner_id: null, regions: ['NG'] },
  { username: 'fraud-ops', role: 'fraud_ops', partner_id: null, regions: [] },
  { username: 'sre', role: 'sre', partner_id: null, regions: [] },
  { username: 'auditor', role: 'auditor', partner_id: null, regions: [] },
  { username: 'partner-a', role: 'partner', partner_id: 'partner-a', regions: [] },
  { username: 'partner-b', role: 'partner', partner_id: 'partner-b', regions: [] },
];

/**
 * Creates the demo users, or resets their password, so the password of this process always works.
 * Call in development only: production has no shared demo password. One user at a time, each retried while the
 * database is busy or still starting: a small pool on a loaded machine delays the start instead of ending it.
 */
export async function seedDemoUsers(auth: AuthService, logger: Logger, demoPassword?: string): Promise<void> {
  const password = demoPassword ?? randomBytes(12).toString('base64url');
  for (const user of DEMO_USERS)
    await retryAtStartup(
      `seeding demo user ${user.username}`,
      () => auth.saveUser({ ...user, password }),
      logger,
    );
  const usernames = DEMO_USERS.map((u) => u.username);
  if (demoPassword) {
    logger.info({ users: usernames }, 'demo users seeded with DEMO_PASSWORD (development mode)');
  } else {
    // logged once, on purpose: without it nobody could sign in to a fresh development install
    logger.warn(
      { users: usernames, demo_password: password },
      `DEMO_PASSWORD is not set: demo users ${usernames.join(', ')} were given the generated password "${password}" (development mode; set DEMO_PASSWORD to choose one)`,
    );
  }
}
