import { Module } from '@nestjs/common';
import { ModelCatalog } from '@gnomon/llm';
import { AuditModule } from '../audit/audit.module';
import { LlmRoutesRepository } from '../llm-routes/llm-routes.repository';
import { ToolModule } from '../tools/tool.module';
import { TaskReferenceChecker } from './task-references';
import { TaskController } from './task.controller';
import { TaskRepository } from './task.repository';
import { TaskService } from './task.service';

@Module({
  imports: [AuditModule, ToolModule],
  controllers: [TaskController],
  providers: [
    TaskRepository,
    TaskService,
    TaskReferenceChecker,
    // Stateless readers; LlmRoutesModule does not export them.
    LlmRoutesRepository,
    { provide: ModelCatalog, useValue: new ModelCatalog() },
  ],
  exports: [TaskRepository],
})
export class TaskModule {}
