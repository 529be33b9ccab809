import { Module } from '@nestjs/common';
import { QuarantineController } from './quarantine.controller.js';
import { QuarantineRepository } from './quarantine.repository.js';
import { QuarantineService } from './quarantine.service.js';

@Module({
  controllers: [QuarantineController],
  providers: [QuarantineService, QuarantineRepository],
})
export class QuarantineModule {}
