// Sign-in with a password, and the rotating refresh tokens that keep a signed-in user's session going.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException, type OnModuleInit } from '@nestjs/common';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { AccessDenialsService } from './access-denials.service.js';
import type { TokenRequest } from './auth.dto.js';
import { AuthSettings } from './auth.settings.js';
import { REFRESH_TOKEN_PREFIX, newSecret, sha256 } from './opaque-secrets.js';
import { PasswordHasher } from './password-hasher.js';
import type { Principal } from './principal.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';
import { RevocationList } from './revocation-list.js';
import type { RequestOrigin } from './request-origin.js';
import { TokenService, type IssuedToken } from './token.service.js';
import { UsersRepository, type UserRow } from './users.repository.js';

const BAD_CREDENTIALS = 'invalid username or password';

/** A refresh token that is unknown, expired, revoked or reused; RFC 6749 calls it invalid_grant. */
export class InvalidGrantError extends Error {}

@Injectable()
export class AuthService implements OnModuleInit {
  /** Checked against when the user does not exist, so both failures take as long. */
  private decoyHash = '';

  constructor(
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(TokenService) private readonly tokens: TokenService,
    @Inject(RefreshTokensRepository) private readonly refreshTokens: RefreshTokensRepository,
    @Inject(AccessDenialsService) private readonly denials: AccessDenialsService,
    @Inject(RevocationList) private readonly revocations: RevocationList,
    @Inject(AuthSettings) private readonly settings: AuthSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.passwords.hash('decoy password');
  }

  /** An access token and the first refresh token of a new family. */
  async issueToken(credentials: TokenRequest): Promise<IssuedToken> {
    const user = await this.signIn(credentials);
    const refreshToken = this.newRefreshToken();
    const familyId = randomUUID();
    await this.refreshTokens.insert(
      sha256(refreshToken),
      familyId,
      user.username,
      this.settings.refreshTokenTtlSeconds,
    );
    return { ...(await this.tokens.issue(principalOf(user), familyId)), refresh_token: refreshToken };
  }

  /**
   * Trades a refresh token for a new access token and the next refresh token of its family. A token that was
   * already used means two parties hold it: the whole family is revoked and the event audited.
   */
  async refresh(presented: string, origin: RequestOrigin): Promise<IssuedToken> {
    const next = this.newRefreshToken();
    const result = await this.refreshTokens.rotate(
      sha256(presented),
      sha256(next),
      this.settings.refreshTokenTtlSeconds,
    );
    switch (result.outcome) {
      case 'rotated': {
        const user = await this.users.find(result.username);
        if (!user) throw new InvalidGrantError('refresh token is invalid');
        return { ...(await this.tokens.issue(principalOf(user), result.familyId)), refresh_token: next };
      }
      case 'reused':
        // the session's access tokens stop working too, here at once and on other replicas within a minute
        this.revocations.revokedFamily(result.familyId);
        this.logger.warn(
          { username: result.username, family: result.familyId },
          'refresh token reused: family revoked',
        );
        this.denials.record({
          subject: result.username,
          kind: 'user',
          role: null,
          method: origin.method,
          path: origin.path,
          permission: null,
          status: 401,
          reason: `refresh token reuse: token family ${result.familyId} revoked`,
          remote_address: origin.remoteAddress,
          request_id: origin.requestId,
        });
        throw new InvalidGrantError('refresh token was already used; every token of its session is revoked');
      case 'expired':
        throw new InvalidGrantError('refresh token has expired; sign in again');
      case 'unknown':
      case 'revoked':
        throw new InvalidGrantError('refresh token is invalid');
    }
  }

  /** The user whose password this is; upgrades an outdated hash on the way. */
  async signIn(credentials: TokenRequest): Promise<UserRow> {
    const user = await this.users.find(credentials.username);
    const stored = user?.password_hash ?? this.decoyHash;
    const matches = await this.passwords.verify(credentials.password, stored);
    if (!user || !matches) throw new UnauthorizedException(BAD_CREDENTIALS);
    if (this.passwords.needsRehash(stored)) {
      try {
        await this.users.replaceHash(user.username, stored, await this.passwords.hash(credentials.password));
      } catch (error) {
        // the sign-in stands; the upgrade is tried again next time
        this.logger.error({ err: error, username: user.username }, 'could not upgrade the password hash');
      }
    }
    return user;
  }

  /** Creates the user or replaces its password and role. */
  async saveUser(user: Omit<UserRow, 'password_hash'> & { password: string }): Promise<void> {
    const { password, ...rest } = user;
    await this.users.upsert({ ...rest, password_hash: await this.passwords.hash(password) });
  }

  private newRefreshToken(): string {
    return `${REFRESH_TOKEN_PREFIX}${newSecret()}`;
  }
}

export function principalOf(user: UserRow): Principal {
  // the table's CHECK makes partner_id present exactly for partners; a partner token without one would scope nothing
  if ((user.role === 'partner') !== (user.partner_id !== null)) {
    throw new Error(`user ${user.username} has role ${user.role} and partner_id ${user.partner_id}`);
  }
  return {
    subject: user.username,
    kind: 'user',
    role: user.role,
    regions: user.regions,
    partnerId: user.partner_id,
    scopes: null,
  };
}
