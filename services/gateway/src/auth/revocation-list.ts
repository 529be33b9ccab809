// Which access tokens are refused before they expire: those of a revoked OAuth client and those of a
// session whose refresh token family was revoked. Access tokens verify offline, so each replica keeps the
// revocations of the last token lifetime in memory and reads them again from Postgres every
// GATEWAY_REVOCATION_REFRESH_MS; a revocation made here counts at once. A replica that could not read the
// list for longer than REVOCATION_PROMISE_MS answers 503 instead of accepting tokens it cannot vouch for.
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { LOGGER, retryAtStartup } from '@vigil/runtime';
import { ProblemException } from '../http/problem.js';
import { AuthSettings } from './auth.settings.js';
import type { Principal } from './principal.js';
import { RevocationsRepository } from './revocations.repository.js';

/** The longest a revoked credential's access tokens keep working on any replica. */
export const REVOCATION_PROMISE_MS = 60_000;

@Injectable()
export class RevocationList implements OnModuleInit, OnModuleDestroy {
  private clients = new Set<string>();
  private families = new Set<string>();
  private refreshedAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /** Revocations made here, kept until a read that started after them has seen them in Postgres. */
  private local: { kind: 'client' | 'family'; id: string; atMs: number }[] = [];

  constructor(
    @Inject(AuthSettings) private readonly settings: AuthSettings,
    @Inject(RevocationsRepository) private readonly repository: RevocationsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The first read happens before the gateway listens: no token is accepted on an unread list. A busy or
   * restarting database delays it (retried with the one backoff policy) rather than ending the start.
   */
  async onModuleInit(): Promise<void> {
    await retryAtStartup('reading the revocation list', () => this.refresh(), this.logger);
    this.timer = setInterval(() => void this.refreshQuietly(), this.settings.revocationRefreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /**
   * Why the token of this principal and session may no longer be used, or null when it may. Throws a 503
   * problem while the list is older than the promised bound.
   */
  check(principal: Principal, sessionId: string | null, nowMs = Date.now()): string | null {
    if (nowMs - this.refreshedAtMs > REVOCATION_PROMISE_MS) {
      throw new ProblemException(
        503,
        'the gateway cannot currently confirm that access tokens are not revoked; retry shortly',
        { retry_after: 5 },
      );
    }
    if (principal.kind === 'client' && this.clients.has(principal.subject))
      return `OAuth client ${principal.subject} has been revoked`;
    if (sessionId !== null && this.families.has(sessionId))
      return 'the session of this access token has been revoked; sign in again';
    return null;
  }

  /** A revocation made by this replica: refused here at once, by the others at their next refresh. */
  revokedClient(clientId: string): void {
    this.clients.add(clientId);
    this.local.push({ kind: 'client', id: clientId, atMs: Date.now() });
  }

  revokedFamily(familyId: string): void {
    this.families.add(familyId);
    this.local.push({ kind: 'family', id: familyId, atMs: Date.now() });
  }

  async refresh(): Promise<void> {
    // one read at a time: a slow database must not pile up reads
    this.refreshing ??= (async () => {
      const startedAtMs = Date.now();
      // a little more than the token lifetime: a token issued just before its client was revoked lives that long
      const recent = await this.repository.recent(this.settings.tokenTtlSeconds + 60);
      const clients = new Set(recent.clients);
      const families = new Set(recent.families);
      // a read that began before a revocation here committed may not hold it yet: keep it until one has
      this.local = this.local.filter((revocation) => revocation.atMs >= startedAtMs);
      for (const { kind, id } of this.local) (kind === 'client' ? clients : families).add(id);
      this.clients = clients;
      this.families = families;
      this.refreshedAtMs = startedAtMs;
    })().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  private async refreshQuietly(): Promise<void> {
    try {
      await this.refresh();
    } catch (error) {
      this.logger.warn(
        { err: error },
        'could not read the revoked clients and sessions; keeping the last list',
      );
    }
  }
}
