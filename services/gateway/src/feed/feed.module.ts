import { Module, type DynamicModule } from '@nestjs/common';
import { FeedController } from './feed.controller.js';
import { FeedService } from './feed.service.js';
import { FeedSettings } from './feed.settings.js';

@Module({})
export class FeedModule {
  static register(settings: FeedSettings): DynamicModule {
    return {
      module: FeedModule,
      controllers: [FeedController],
      providers: [FeedService, { provide: FeedSettings, useValue: settings }],
    };
  }
}
