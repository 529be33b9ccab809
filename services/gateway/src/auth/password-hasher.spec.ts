import { randomBytes, scryptSync } from 'node:crypto';
import { PasswordHasher } from './password-hasher.js';

describe('PasswordHasher', () => {
  const hasher = new PasswordHasher();

  it('writes argon2id PHC strings that verify the password and refuse another one', async () => {
    const stored = await hasher.hash('correct horse battery staple');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    await expect(hasher.verify('correct horse battery staple', stored)).resolves.toBe(true);
    await expect(hasher.verify('correct horse battery stapler', stored)).resolves.toBe(false);
    expect(hasher.needsRehash(stored)).toBe(false);
  });

  it('salts every hash, so equal passwords do not give equal hashes', async () => {
    expect(await hasher.hash('same password')).not.toBe(await hasher.hash('same password'));
  });

  it('still verifies a legacy scrypt hash, and asks for it to be rehashed', async () => {
    const salt = randomBytes(16);
    const key = scryptSync('old password', salt, 64, { N: 2 ** 14, r: 8, p: 1 });
    const legacy = ['scrypt', 2 ** 14, 8, 1, salt.toString('base64url'), key.toString('base64url')].join('$');
    await expect(hasher.verify('old password', legacy)).resolves.toBe(true);
    await expect(hasher.verify('other password', legacy)).resolves.toBe(false);
    expect(hasher.needsRehash(legacy)).toBe(true);
    expect(hasher.needsRehash('$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5')).toBe(
      true,
    );
  });

  it('never matches a malformed or overly expensive stored hash', async () => {
    await expect(hasher.verify('x', 'plain-text')).resolves.toBe(false);
    await expect(hasher.verify('x', 'scrypt$32768$8$1$$')).resolves.toBe(false);
    await expect(hasher.verify('x', 'scrypt$1073741824$8$1$c2FsdA$a2V5')).resolves.toBe(false);
    await expect(
      hasher.verify('x', '$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5'),
    ).resolves.toBe(false);
    await expect(
      hasher.verify('x', '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5'),
    ).resolves.toBe(false);
  });
});
