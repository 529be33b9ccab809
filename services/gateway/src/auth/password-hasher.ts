// Salted scrypt password hashes, self-describing so the cost can be raised without invalidating stored ones.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';

const KEY_LENGTH = 64;
const SALT_BYTES = 16;
/** N = 2^15 costs about 30 ms and 32 MiB per hash: slow for guessing, fine for a sign-in. */
const COST = { N: 2 ** 15, r: 8, p: 1 } as const;
/** Stored hashes name their own cost; refuse ones that would need more than this much memory to check. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

function derive(
  password: string,
  salt: Buffer,
  keyLength: number,
  cost: { N: number; r: number; p: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes, or node refuses costs above its 32 MiB default
    const maxmem = 256 * cost.N * cost.r;
    scrypt(password, salt, keyLength, { ...cost, maxmem }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

@Injectable()
export class PasswordHasher {
  /** Returns `scrypt$N$r$p$salt$key` with base64url salt and key. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, KEY_LENGTH, COST);
    const { N, r, p } = COST;
    return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
  }

  /** Constant-time check of `password` against a stored hash; a malformed hash never matches. */
  async verify(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
    const [N, r, p] = parts.slice(1, 4).map(Number);
    if (!N || !r || !p || 128 * N * r > MAX_SCRYPT_MEMORY || p > 16) return false;
    const salt = Buffer.from(parts[4] ?? '', 'base64url');
    const expected = Buffer.from(parts[5] ?? '', 'base64url');
    if (salt.length === 0 || expected.length === 0) return false;
    const actual = await derive(password, salt, expected.length, { N, r, p });
    return timingSafeEqual(actual, expected);
  }
}
