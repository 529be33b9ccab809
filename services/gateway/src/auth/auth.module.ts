import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AnonymousRateLimit } from '../protection/anonymous-rate-limit.js';
import { AccessDenialsRepository } from './access-denials.repository.js';
import { AccessDenialsService } from './access-denials.service.js';
import { ApiKeysController } from './api-keys.controller.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeysService } from './api-keys.service.js';
import { AccessCheck } from './access-check.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AuthSettings } from './auth.settings.js';
import { Authenticator } from './authenticator.js';
import { IdentityAdminController } from './identity-admin.controller.js';
import { KeyCipher } from './key-cipher.js';
import { KeyRing } from './key-ring.js';
import { OAuthClientsRepository } from './oauth-clients.repository.js';
import { OAuthClientsService } from './oauth-clients.service.js';
import { OAuthController } from './oauth.controller.js';
import { OAuthService } from './oauth.service.js';
import { OidcVerifier } from './oidc.verifier.js';
import { PasswordHasher } from './password-hasher.js';
import { RefreshTokensRepository } from './refresh-tokens.repository.js';
import { RevocationList } from './revocation-list.js';
import { RevocationsRepository } from './revocations.repository.js';
import { RolesGuard } from './roles.guard.js';
import { SigningKeysRepository } from './signing-keys.repository.js';
import { SigningKeysService } from './signing-keys.service.js';
import { TokenService } from './token.service.js';
import { UsersRepository } from './users.repository.js';

/** Identity: sign-in, tokens and their keys, API keys, OAuth clients, OIDC, and the RBAC guard every route passes. */
@Module({})
export class AuthModule {
  static register(settings: AuthSettings): DynamicModule {
    return {
      module: AuthModule,
      // every feature admits its callers through it; the live feed also re-checks open streams' credentials
      global: true,
      controllers: [AuthController, OAuthController, ApiKeysController, IdentityAdminController],
      providers: [
        { provide: AuthSettings, useValue: settings },
        PasswordHasher,
        KeyCipher,
        KeyRing,
        SigningKeysRepository,
        SigningKeysService,
        RevocationsRepository,
        RevocationList,
        TokenService,
        UsersRepository,
        RefreshTokensRepository,
        AccessDenialsRepository,
        AccessDenialsService,
        ApiKeysRepository,
        ApiKeysService,
        OAuthClientsRepository,
        OAuthClientsService,
        OidcVerifier,
        Authenticator,
        AnonymousRateLimit,
        AccessCheck,
        AuthService,
        OAuthService,
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
      exports: [AuthService, TokenService, AccessCheck, Authenticator],
    };
  }
}
