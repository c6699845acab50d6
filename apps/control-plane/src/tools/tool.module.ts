import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ToolController } from './tool.controller';
import { ToolRepository } from './tool.repository';
import { ToolService } from './tool.service';

@Module({
  imports: [AuditModule],
  controllers: [ToolController],
  providers: [ToolRepository, ToolService],
  exports: [ToolRepository],
})
export class ToolModule {}
