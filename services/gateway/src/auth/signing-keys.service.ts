// Keeps the key ring in step with gateway.signing_keys: loads it, rotates when asked or when the active key
// is too old (or cannot be unsealed with this process's secret), and reloads when another replica rotated.
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { LOGGER, retryAtStartup } from '@vigil/runtime';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import { AuthSettings } from './auth.settings.js';
import { KeyCipher } from './key-cipher.js';
import { KeyRing, SIGNING_ALGORITHM, type ActiveKey, type RingKey } from './key-ring.js';
import { SigningKeysRepository } from './signing-keys.repository.js';

/** How often the ring is reloaded, so every replica signs with the newest key soon after a rotation. */
const RELOAD_INTERVAL_MS = 30_000;
/** A token with an unknown kid reloads the ring at most this often: forged kids must not hammer Postgres. */
const UNKNOWN_KID_RELOAD_MS = 5_000;
/** ...unless it was issued after the last reload (another replica may have just rotated): then this often. */
const NEW_KID_RELOAD_MS = 250;
const CLOCK_SLACK_MS = 2_000;
/** Old keys verify for one access-token lifetime after they stop signing, plus this for replicas and clocks. */
const RETIRE_MARGIN_SECONDS = 120;

export interface SigningKeySummary {
  kid: string;
  alg: string;
  created_at: string;
  retires_at: string | null;
  active: boolean;
}

@Injectable()
export class SigningKeysService implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | undefined;
  private lastReload = 0;
  private reloading: Promise<void> | undefined;
  private known = new Map<string, RingKey>();
  /** The active key's kid when it could not be unsealed with this process's secret. */
  private unusableKid: string | undefined;

  constructor(
    @Inject(SigningKeysRepository) private readonly repository: SigningKeysRepository,
    @Inject(KeyRing) private readonly ring: KeyRing,
    @Inject(KeyCipher) private readonly cipher: KeyCipher,
    @Inject(AuthSettings) private readonly settings: AuthSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Keys are read (and the first one made) before the gateway listens; a busy or restarting database delays it. */
  async onModuleInit(): Promise<void> {
    await retryAtStartup(
      'reading the signing keys',
      async () => {
        await this.reload();
        await this.rotateIfDue();
      },
      this.logger,
    );
    this.ring.whenKidUnknown((issuedAtMs) => this.reloadThrottled(issuedAtMs));
    this.timer = setInterval(() => {
      this.reload()
        .then(() => this.rotateIfDue())
        .catch((error: unknown) => this.logger.error({ err: error }, 'signing key reload failed'));
    }, RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Makes a new key active now; the previous one keeps verifying until its tokens have expired. */
  async rotate(): Promise<SigningKeySummary[]> {
    await this.createKey(() => true, 'requested');
    return this.list();
  }

  list(): SigningKeySummary[] {
    const activeKid = this.ring.activeKey?.kid;
    return this.ring.jwks().keys.map((jwk) => {
      const key = this.known.get(jwk.kid!)!;
      return {
        kid: key.kid,
        alg: SIGNING_ALGORITHM,
        created_at: key.createdAt.toISOString(),
        retires_at: key.retiresAt?.toISOString() ?? null,
        active: key.kid === activeKid,
      };
    });
  }

  private async rotateIfDue(): Promise<void> {
    const maxAgeMs = this.settings.signingKeyMaxAgeSeconds * 1000;
    const due = (active: { kid: string; created_at: Date } | undefined) =>
      !active ||
      Date.now() - active.created_at.getTime() >= maxAgeMs ||
      // sealed under another secret (a development restart with an ephemeral JWT_SECRET, or a changed one)
      (active.kid === this.unusableKid && this.ring.activeKey === undefined);
    const active = this.ring.activeKey;
    if (active && Date.now() - active.createdAt.getTime() < maxAgeMs) return;
    await this.createKey(
      due,
      active ? 'the active key reached SIGNING_KEY_MAX_AGE_SECONDS' : 'no usable active key',
    );
  }

  private async createKey(
    shouldRotate: (active: { kid: string; created_at: Date } | undefined) => boolean,
    reason: string,
  ): Promise<void> {
    const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    const sealed = this.cipher.seal(JSON.stringify(await exportJWK(privateKey)), kid);
    const rotated = await this.repository.rotate(
      shouldRotate,
      { kid, alg: SIGNING_ALGORITHM, publicJwk, sealedPrivateJwk: sealed },
      this.settings.tokenTtlSeconds + RETIRE_MARGIN_SECONDS,
    );
    if (rotated) this.logger.info({ kid, reason }, 'new signing key is active');
    await this.reload();
  }

  private reloadThrottled(issuedAtMs: number | undefined): Promise<void> {
    const now = Date.now();
    const issuedSinceReload =
      issuedAtMs !== undefined &&
      issuedAtMs + CLOCK_SLACK_MS >= this.lastReload &&
      issuedAtMs <= now + CLOCK_SLACK_MS;
    if (now - this.lastReload < (issuedSinceReload ? NEW_KID_RELOAD_MS : UNKNOWN_KID_RELOAD_MS)) {
      return Promise.resolve();
    }
    return this.reload();
  }

  private reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async load(): Promise<void> {
    this.lastReload = Date.now();
    const rows = await this.repository.listVerifying();
    const keys: RingKey[] = [];
    for (const row of rows) {
      const cached = this.known.get(row.kid);
      keys.push({
        kid: row.kid,
        publicJwk: row.public_jwk,
        publicKey: cached?.publicKey ?? (await importEcKey(row.public_jwk)),
        createdAt: row.created_at,
        retiresAt: row.retires_at,
      });
    }
    const activeRow = rows.find((row) => row.retires_at === null);
    let active: ActiveKey | undefined =
      this.ring.activeKey?.kid === activeRow?.kid ? this.ring.activeKey : undefined;
    if (activeRow && !active) {
      try {
        const privateJwk = JSON.parse(this.cipher.open(activeRow.sealed_private_jwk, activeRow.kid)) as JWK;
        active = {
          kid: activeRow.kid,
          privateKey: await importEcKey(privateJwk),
          createdAt: activeRow.created_at,
        };
        this.unusableKid = undefined;
      } catch {
        this.unusableKid = activeRow.kid;
        this.logger.warn(
          { kid: activeRow.kid },
          'the active signing key cannot be unsealed with this JWT_SECRET: a new key will be made (it keeps verifying)',
        );
      }
    }
    this.known = new Map(keys.map((key) => [key.kid, key]));
    this.ring.replace(keys, active);
  }
}

async function importEcKey(jwk: JWK): Promise<CryptoKey> {
  if (jwk.kty !== 'EC') throw new Error(`signing key of type ${jwk.kty}, expected EC`);
  return (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
}
