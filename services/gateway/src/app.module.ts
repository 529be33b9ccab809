import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { AuthSettings } from './auth/auth.settings.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DataQualityModule } from './data-quality/data-quality.module.js';
import { HealthModule } from './health/health.module.js';
import { ApiExceptionFilter } from './http/api-exception.filter.js';
import { ProtectionModule } from './protection/protection.module.js';
import type { RateLimitSettings } from './protection/principal-rate-limit.interceptor.js';
import { QuarantineModule } from './quarantine/quarantine.module.js';
import { TransactionsModule } from './transactions/transactions.module.js';

@Module({})
export class GatewayModule {
  static register(platform: Platform, auth: AuthSettings, rateLimits: RateLimitSettings): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        PlatformModule.forRoot(platform),
        AuthModule.register(auth),
        ProtectionModule.register(rateLimits),
        TransactionsModule,
        AlertsModule,
        QuarantineModule,
        DataQualityModule,
        HealthModule,
        DashboardModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
    };
  }
}
