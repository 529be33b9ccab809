import { Module, type DynamicModule } from '@nestjs/common';
import { PlatformModule, type Platform } from '@vigil/runtime';
import { ResultsRepository } from './validation/results.repository.js';
import { ValidationHandler } from './validation/validation.handler.js';
import { ValidationService } from './validation/validation.service.js';

@Module({})
export class ValidatorModule {
  static register(platform: Platform): DynamicModule {
    return {
      module: ValidatorModule,
      imports: [PlatformModule.forRoot(platform)],
      controllers: [ValidationHandler],
      providers: [ValidationService, ResultsRepository],
    };
  }
}
