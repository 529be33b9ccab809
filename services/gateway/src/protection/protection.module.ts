import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import {
  PrincipalRateLimit,
  PrincipalRateLimitInterceptor,
  RateLimitSettings,
} from './principal-rate-limit.interceptor.js';

/** Per-principal rate limits; the fastify-level protections are registered by protect() in app.ts. */
@Module({})
export class ProtectionModule {
  static register(settings: RateLimitSettings): DynamicModule {
    return {
      module: ProtectionModule,
      // with the limit off (max 0) no interceptor runs at all: every request would pay for the pipeline
      providers: [
        { provide: RateLimitSettings, useValue: settings },
        PrincipalRateLimit,
        ...(settings.max > 0 ? [{ provide: APP_INTERCEPTOR, useClass: PrincipalRateLimitInterceptor }] : []),
      ],
      exports: [PrincipalRateLimit],
    };
  }
}
