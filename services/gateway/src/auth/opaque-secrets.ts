// Opaque credentials (refresh tokens, API keys, client secrets): 256 random bits, stored only as sha256.
// A fast hash is enough here: unlike passwords these secrets cannot be guessed from a dictionary.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const newSecret = (): string => randomBytes(32).toString('base64url');
export const newId = (): string => randomBytes(6).toString('hex');
export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
export const matchesHash = (value: string, hash: Buffer): boolean => {
  const actual = sha256(value);
  return actual.length === hash.length && timingSafeEqual(actual, hash);
};

export const API_KEY_PATTERN = /^vgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
export const API_KEY_PREFIX = 'vgk_';
export const REFRESH_TOKEN_PREFIX = 'vgr_';
export const CLIENT_ID_PREFIX = 'vgc_';
