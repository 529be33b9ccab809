// Seals secrets for storage (private signing keys, partner webhook secrets): AES-256-GCM under a key derived
// (HKDF-SHA256) from JWT_SECRET, each bound to its row by the authenticated context.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuthSettings } from './auth.settings.js';

const VERSION = 'v1';

@Injectable()
export class KeyCipher {
  private readonly key: Buffer;

  constructor(@Inject(AuthSettings) settings: AuthSettings) {
    this.key = Buffer.from(
      hkdfSync('sha256', settings.keySecret, 'vigil-gateway', 'signing-key-seal v1', 32),
    );
  }

  /** `context` (the kid) is authenticated with the ciphertext, so a sealed key cannot be moved to another row. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, sealed, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** Throws when the value was sealed under another secret or was altered. */
  open(sealed: string, context: string): string {
    const [version, iv, ciphertext, tag] = sealed.split('.');
    if (version !== VERSION || !iv || !ciphertext || !tag) throw new Error('unrecognised sealed key format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}
