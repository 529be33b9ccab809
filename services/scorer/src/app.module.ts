import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { AccountStateRepository } from './scoring/account-state.repository.js';
import { ScoresRepository } from './scoring/scores.repository.js';
import { ScoringHandler } from './scoring/scoring.handler.js';
import { ScoringService } from './scoring/scoring.service.js';

@Module({})
export class ScorerModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: ScorerModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [ScoringHandler],
      providers: [ScoringService, ScoresRepository, AccountStateRepository],
    };
  }
}
