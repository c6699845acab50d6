import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { RunsModule } from '../runs/runs.module';
import { ApprovalCommandController } from './approval-command.controller';
import { ApprovalCommandService } from './approval-command.service';
import { ApprovalQueryController } from './approval-query.controller';
import { ApprovalQueryRepository } from './approval-query.repository';
import { ApprovalQueryService } from './approval-query.service';

@Module({
  imports: [AuditModule, RunsModule],
  controllers: [ApprovalQueryController, ApprovalCommandController],
  providers: [ApprovalQueryRepository, ApprovalQueryService, ApprovalCommandService],
  exports: [ApprovalQueryRepository],
})
export class ApprovalsModule {}
