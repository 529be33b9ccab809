import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { LedgerHandler, LedgerRepository } from './ledger/ledger.handler.js';
import { ReplayHandler } from './replay/replay.handler.js';
import { ReplayService } from './replay/replay.service.js';
import { ReplaysRepository } from './replay/replays.repository.js';
import { DecisionService } from './submission/decision.service.js';
import { IdempotencyRepository } from './submission/idempotency.repository.js';
import { SubmissionController } from './submission/submission.controller.js';
import { SubmissionHandler } from './submission/submission.handler.js';
import {
  NORMALIZE_DEFAULTS,
  SubmissionService,
  type NormalizeDefaults,
} from './submission/submission.service.js';
import { CardTokenizer } from './tokenization/card-tokenizer.js';
import { RecordDoor } from './submission/record-door.js';

export interface IngestSettings {
  tokenizationKey: string;
  normalizeDefaults: NormalizeDefaults;
}

@Module({})
export class IngestModule {
  static register(platform: Platform, settings: IngestSettings): DynamicModule {
    return {
      module: IngestModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [SubmissionController, SubmissionHandler, LedgerHandler, ReplayHandler],
      providers: [
        SubmissionService,
        DecisionService,
        RecordDoor,
        IdempotencyRepository,
        LedgerRepository,
        ReplayService,
        ReplaysRepository,
        { provide: CardTokenizer, useValue: new CardTokenizer(settings.tokenizationKey) },
        { provide: NORMALIZE_DEFAULTS, useValue: settings.normalizeDefaults },
      ],
    };
  }
}
