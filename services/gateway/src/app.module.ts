import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { AlertsModule } from './alerts/alerts.module.js';
import { AuthModule } from './auth/auth.module.js';
import type { AuthSettings } from './auth/auth.settings.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { DataQualityModule } from './data-quality/data-quality.module.js';
import { HealthModule } from './health/health.module.js';
import { LabelsModule } from './labels/labels.module.js';
import { ModelsModule } from './models/models.module.js';
import { ApiExceptionFilter } from './http/api-exception.filter.js';
import { ProtectionModule } from './protection/protection.module.js';
import type { GatewayEnv } from './config.js';
import { FeedModule } from './feed/feed.module.js';
import { FeedSettings } from './feed/feed.settings.js';
import { RateLimitSettings } from './protection/principal-rate-limit.interceptor.js';
import { KeyCipher } from './auth/key-cipher.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { WebhookSettings } from './webhooks/webhooks.settings.js';
import { QuarantineModule } from './quarantine/quarantine.module.js';
import { ReconciliationModule } from './reconciliation/reconciliation.module.js';
import { SummaryModule } from './summary/summary.module.js';
import { TransactionsModule } from './transactions/transactions.module.js';
import { TransactionListSettings } from './transactions/transactions.settings.js';

@Module({})
export class GatewayModule {
  static register(platform: Platform, auth: AuthSettings, env: GatewayEnv): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        PlatformModule.forRoot(platform),
        AuthModule.register(auth),
        ProtectionModule.register(
          new RateLimitSettings(
            env.GATEWAY_RATE_LIMIT_PRINCIPAL_MAX,
            env.GATEWAY_RATE_LIMIT_WINDOW_SECONDS * 1000,
          ),
        ),
        FeedModule.register(new FeedSettings(env.GATEWAY_FEED_HEARTBEAT_SECONDS * 1000)),
        WebhooksModule.register(
          new WebhookSettings(
            env.VIGIL_ENV === 'development',
            env.GATEWAY_WEBHOOK_MAX_ATTEMPTS,
            env.GATEWAY_WEBHOOK_RETRY_BASE_MS,
            env.GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS,
          ),
          // webhook secrets are sealed like the signing keys, under the key JWT_SECRET derives
          new KeyCipher(auth),
        ),
        TransactionsModule.register(new TransactionListSettings(env.GATEWAY_LIST_FRESHNESS_MS)),
        LabelsModule,
        AlertsModule,
        QuarantineModule,
        DataQualityModule,
        ReconciliationModule,
        ModelsModule,
        HealthModule,
        SummaryModule,
        DashboardModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }],
    };
  }
}
