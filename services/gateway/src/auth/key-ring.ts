// The signing keys this process knows: the active one signs, every unretired one verifies and is published.
import { Injectable } from '@nestjs/common';
import type { CryptoKey, JWK, KeyObject } from 'jose';

export const SIGNING_ALGORITHM = 'ES256';

export interface RingKey {
  kid: string;
  publicJwk: JWK;
  publicKey: CryptoKey | KeyObject;
  createdAt: Date;
  /** When it stops verifying; null while it is the active key. */
  retiresAt: Date | null;
}

export interface ActiveKey {
  kid: string;
  privateKey: CryptoKey | KeyObject;
  createdAt: Date;
}

export interface Jwks {
  keys: JWK[];
}

@Injectable()
export class KeyRing {
  private keys = new Map<string, RingKey>();
  private active: ActiveKey | undefined;
  /** Asked for when a token names a kid this process has not loaded yet (another replica rotated). */
  private onUnknownKid: ((issuedAtMs: number | undefined) => Promise<void>) | undefined;

  replace(keys: readonly RingKey[], active: ActiveKey | undefined): void {
    this.keys = new Map(keys.map((key) => [key.kid, key]));
    this.active = active;
  }

  whenKidUnknown(reload: (issuedAtMs: number | undefined) => Promise<void>): void {
    this.onUnknownKid = reload;
  }

  get activeKey(): ActiveKey | undefined {
    return this.active;
  }

  signingKey(): ActiveKey {
    if (!this.active) throw new Error('no active signing key: the key store has not been loaded');
    return this.active;
  }

  /** The verification key of `kid`, or undefined for an unknown or retired kid. */
  async verificationKey(
    kid: string | undefined,
    issuedAtMs?: number,
  ): Promise<RingKey['publicKey'] | undefined> {
    if (!kid) return undefined;
    if (!this.keys.has(kid)) await this.onUnknownKid?.(issuedAtMs);
    const key = this.keys.get(kid);
    if (!key || (key.retiresAt && key.retiresAt.getTime() <= Date.now())) return undefined;
    return key.publicKey;
  }

  jwks(): Jwks {
    const now = Date.now();
    return {
      keys: [...this.keys.values()]
        .filter((key) => !key.retiresAt || key.retiresAt.getTime() > now)
        .map((key) => ({ ...key.publicJwk, kid: key.kid, alg: SIGNING_ALGORITHM, use: 'sig' })),
    };
  }
}
