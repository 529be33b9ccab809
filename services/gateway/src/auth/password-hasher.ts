// Salted argon2id password hashes in the PHC string format; legacy scrypt hashes still verify and are upgraded.
import { argon2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';

const SALT_BYTES = 16;
const TAG_BYTES = 32;
/** OWASP's first argon2id choice: 19 MiB, 2 passes, 1 lane (~30-90 ms here: slow to guess, fine for a sign-in). */
export const ARGON2_COST = { memory: 19_456, passes: 2, parallelism: 1 } as const;
/** Stored hashes name their own cost; refuse ones that would take more than this to check. */
const MAX_ARGON2 = { memory: 256 * 1024, passes: 10, parallelism: 16 } as const;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

interface Argon2Cost {
  memory: number;
  passes: number;
  parallelism: number;
}

function deriveArgon2(password: string, salt: Buffer, tagLength: number, cost: Argon2Cost): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    argon2('argon2id', { message: password, nonce: salt, tagLength, ...cost }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function deriveScrypt(
  password: string,
  salt: Buffer,
  keyLength: number,
  cost: { N: number; r: number; p: number },
) {
  return new Promise<Buffer>((resolve, reject) => {
    // maxmem must cover 128 * N * r bytes, or node refuses costs above its 32 MiB default
    scrypt(password, salt, keyLength, { ...cost, maxmem: 256 * cost.N * cost.r }, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** PHC strings use standard base64 without padding. */
const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

@Injectable()
export class PasswordHasher {
  /** Returns `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await deriveArgon2(password, salt, TAG_BYTES, ARGON2_COST);
    const { memory, passes, parallelism } = ARGON2_COST;
    return `$argon2id$v=19$m=${memory},t=${passes},p=${parallelism}$${b64(salt)}$${b64(key)}`;
  }

  /** Constant-time check of `password` against a stored argon2id or legacy scrypt hash; a malformed hash never matches. */
  async verify(password: string, stored: string): Promise<boolean> {
    if (stored.startsWith('$argon2id$')) return this.verifyArgon2(password, stored);
    if (stored.startsWith('scrypt$')) return this.verifyScrypt(password, stored);
    return false;
  }

  /** True when the stored hash is not argon2id at the current cost: rehash it after a successful sign-in. */
  needsRehash(stored: string): boolean {
    const match = PHC.exec(stored);
    if (!match) return true;
    const [m, t, p] = match.slice(1, 4).map(Number);
    return m !== ARGON2_COST.memory || t !== ARGON2_COST.passes || p !== ARGON2_COST.parallelism;
  }

  private async verifyArgon2(password: string, stored: string): Promise<boolean> {
    const match = PHC.exec(stored);
    if (!match) return false;
    const [memory, passes, parallelism] = match.slice(1, 4).map(Number) as [number, number, number];
    if (
      passes < 1 ||
      parallelism < 1 ||
      memory < 8 * parallelism ||
      memory > MAX_ARGON2.memory ||
      passes > MAX_ARGON2.passes ||
      parallelism > MAX_ARGON2.parallelism
    ) {
      return false;
    }
    const salt = Buffer.from(match[4]!, 'base64');
    const expected = Buffer.from(match[5]!, 'base64');
    if (salt.length < 8 || expected.length < 16 || expected.length > 64) return false;
    const actual = await deriveArgon2(password, salt, expected.length, { memory, passes, parallelism });
    return timingSafeEqual(actual, expected);
  }

  /** `scrypt$N$r$p$salt$key` with base64url salt and key, as written before argon2id. */
  private async verifyScrypt(password: string, stored: string): Promise<boolean> {
    const parts = stored.split('$');
    if (parts.length !== 6) return false;
    const [N, r, p] = parts.slice(1, 4).map(Number);
    if (!N || !r || !p || 128 * N * r > MAX_SCRYPT_MEMORY || p > 16) return false;
    const salt = Buffer.from(parts[4] ?? '', 'base64url');
    const expected = Buffer.from(parts[5] ?? '', 'base64url');
    if (salt.length === 0 || expected.length === 0) return false;
    const actual = await deriveScrypt(password, salt, expected.length, { N, r, p });
    return timingSafeEqual(actual, expected);
  }
}
