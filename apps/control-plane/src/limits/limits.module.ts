import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { LimitsController } from './limits.controller';
import { LimitsRepository } from './limits.repository';
import { LimitsService } from './limits.service';

@Module({
  imports: [AuditModule],
  controllers: [LimitsController],
  providers: [LimitsRepository, LimitsService],
})
export class LimitsModule {}
