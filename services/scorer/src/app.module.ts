import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { LabelsHandler } from './labels/labels.handler.js';
import { LabelsRepository } from './labels/labels.repository.js';
import { LabelsService } from './labels/labels.service.js';
import { PartitionRepository } from './partitions/partition.repository.js';
import { PartitionsService } from './partitions/partitions.service.js';
import { PolicyService } from './policy/policy.service.js';
import { SCORER_SETTINGS, type ScorerSettings } from './scorer-settings.js';
import { ScoringEngine } from './scoring/scoring.engine.js';

@Module({})
export class ScorerModule {
  static register(platform: Platform, settings: ScorerSettings): DynamicModule {
    return {
      module: ScorerModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [LabelsHandler],
      providers: [
        { provide: SCORER_SETTINGS, useValue: settings },
        PolicyService,
        ScoringEngine,
        PartitionRepository,
        PartitionsService,
        LabelsRepository,
        LabelsService,
      ],
    };
  }
}
