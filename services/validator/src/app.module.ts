import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { AuditLog } from './audit/audit-log.js';
import { ConfigAudit } from './audit/config-audit.js';
import type { ValidatorEnv } from './config.js';
import { AnomalyService } from './data-quality/anomaly.service.js';
import { DataQualityMetrics } from './data-quality/dq-metrics.js';
import { MAINTENANCE_SETTINGS, MaintenanceService } from './maintenance/maintenance.service.js';
import { RULE_SET_SETTINGS, RuleSetService } from './rules/rule-set.service.js';
import { DriftRepository } from './schemas/drift.repository.js';
import { DRIFT_SETTINGS, DriftService } from './schemas/drift.service.js';
import { SchemaRegistryService } from './schemas/schema-registry.service.js';
import { OutcomePublisher } from './validation/outcome.publisher.js';
import { ValidationHandler } from './validation/validation.handler.js';
import { ValidationService } from './validation/validation.service.js';
import { VerdictsRepository } from './validation/verdicts.repository.js';

@Module({})
export class ValidatorModule {
  static register(platform: Platform, env: ValidatorEnv): DynamicModule {
    return {
      module: ValidatorModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [ValidationHandler],
      providers: [
        ValidationService,
        VerdictsRepository,
        OutcomePublisher,
        RuleSetService,
        SchemaRegistryService,
        DriftService,
        DriftRepository,
        ConfigAudit,
        AuditLog,
        DataQualityMetrics,
        AnomalyService,
        MaintenanceService,
        {
          provide: DRIFT_SETTINGS,
          useValue: {
            announceWindowMs: env.DRIFT_ANNOUNCE_WINDOW_MS,
            changesPerRecord: env.DRIFT_CHANGES_PER_RECORD,
          },
        },
        { provide: RULE_SET_SETTINGS, useValue: { defaultFile: env.VALIDATOR_DEFAULT_RULE_SET } },
        {
          provide: MAINTENANCE_SETTINGS,
          useValue: {
            evaluateIntervalMs: env.DQ_EVALUATE_INTERVAL_MS,
            retentionMonths: env.AUDIT_RETENTION_MONTHS,
          },
        },
      ],
    };
  }
}
