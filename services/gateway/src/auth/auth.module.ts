import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { AuthSettings } from './auth.settings.js';
import { PasswordHasher } from './password-hasher.js';
import { RolesGuard } from './roles.guard.js';
import { TokenService } from './token.service.js';
import { UsersRepository } from './users.repository.js';

/** Sign-in, access tokens, and the RBAC guard that every route of the app passes through. */
@Module({})
export class AuthModule {
  static register(settings: AuthSettings): DynamicModule {
    return {
      module: AuthModule,
      controllers: [AuthController],
      providers: [
        { provide: AuthSettings, useValue: settings },
        PasswordHasher,
        TokenService,
        UsersRepository,
        AuthService,
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
      exports: [AuthService],
    };
  }
}
