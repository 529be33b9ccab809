import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { PrincipalRateLimitInterceptor, RateLimitSettings } from './principal-rate-limit.interceptor.js';

/** Per-principal rate limits; the fastify-level protections are registered by protect() in app.ts. */
@Module({})
export class ProtectionModule {
  static register(settings: RateLimitSettings): DynamicModule {
    return {
      module: ProtectionModule,
      providers: [
        { provide: RateLimitSettings, useValue: settings },
        { provide: APP_INTERCEPTOR, useClass: PrincipalRateLimitInterceptor },
      ],
    };
  }
}
