import { Module } from '@nestjs/common';
import { SummaryController } from './summary.controller.js';
import { SummaryRepository } from './summary.repository.js';
import { SummaryService } from './summary.service.js';

/** GET /v1/summary from rollups kept in memory, and GET /v1/me for the dashboard's role-aware panels. */
@Module({ controllers: [SummaryController], providers: [SummaryRepository, SummaryService] })
export class SummaryModule {}
