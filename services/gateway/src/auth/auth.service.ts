import { Inject, Injectable, UnauthorizedException, type OnModuleInit } from '@nestjs/common';
import type { TokenRequest } from './auth.dto.js';
import { PasswordHasher } from './password-hasher.js';
import type { Principal } from './principal.js';
import { TokenService, type IssuedToken } from './token.service.js';
import { UsersRepository, type UserRow } from './users.repository.js';

const BAD_CREDENTIALS = 'invalid username or password';

@Injectable()
export class AuthService implements OnModuleInit {
  /** Checked against when the user does not exist, so both failures take as long. */
  private decoyHash = '';

  constructor(
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(PasswordHasher) private readonly passwords: PasswordHasher,
    @Inject(TokenService) private readonly tokens: TokenService,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.passwords.hash('decoy password');
  }

  async issueToken(credentials: TokenRequest): Promise<IssuedToken> {
    const user = await this.users.find(credentials.username);
    const matches = await this.passwords.verify(credentials.password, user?.password_hash ?? this.decoyHash);
    if (!user || !matches) throw new UnauthorizedException(BAD_CREDENTIALS);
    return this.tokens.issue(principalOf(user));
  }

  /** Creates the user or replaces its password and role. */
  async saveUser(user: Omit<UserRow, 'password_hash'> & { password: string }): Promise<void> {
    const { password, ...rest } = user;
    await this.users.upsert({ ...rest, password_hash: await this.passwords.hash(password) });
  }
}

function principalOf(user: UserRow): Principal {
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
