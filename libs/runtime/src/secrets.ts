// Safe defaults: production refuses missing or well-known secrets; development makes an ephemeral one and says so.
import { randomBytes } from 'node:crypto';
import type { Logger } from '@vigil/observability';
import { ConfigError } from './env.js';

const KNOWN_DEFAULTS = new Set(['', 'changeme', 'change-me', 'secret', 'dev', 'development', 'password']);

export function requireSecret(
  name: string,
  value: string | undefined,
  mode: 'development' | 'production',
  logger: Logger,
): string {
  if (value && !KNOWN_DEFAULTS.has(value.toLowerCase()) && value.length >= 32) return value;
  if (mode === 'production') {
    throw new ConfigError(`${name} must be set to a secret of at least 32 characters in production`);
  }
  if (value) {
    logger.warn({ secret: name }, `${name} is weak; acceptable only in development`);
    return value;
  }
  logger.warn({ secret: name }, `${name} is not set: using an ephemeral random value (development mode)`);
  return randomBytes(32).toString('base64url');
}
