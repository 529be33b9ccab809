import { Module, type DynamicModule } from '@nestjs/common';
import { DecisionsController } from './decisions.controller.js';
import { TransactionsController } from './transactions.controller.js';
import { TransactionsRepository } from './transactions.repository.js';
import { TransactionsService } from './transactions.service.js';
import { TransactionListSettings } from './transactions.settings.js';

@Module({})
export class TransactionsModule {
  static register(settings: TransactionListSettings): DynamicModule {
    return {
      module: TransactionsModule,
      controllers: [TransactionsController, DecisionsController],
      providers: [
        TransactionsService,
        TransactionsRepository,
        { provide: TransactionListSettings, useValue: settings },
      ],
    };
  }
}
