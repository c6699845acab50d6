import { Module } from '@nestjs/common';
import { ModelCatalog } from '@gnomon/llm';
import { AuditModule } from '../audit/audit.module';
import { LlmRoutesController } from './llm-routes.controller';
import { LlmRoutesRepository } from './llm-routes.repository';
import { LlmRoutesService } from './llm-routes.service';

@Module({
  imports: [AuditModule],
  controllers: [LlmRoutesController],
  providers: [
    LlmRoutesRepository,
    LlmRoutesService,
    { provide: ModelCatalog, useValue: new ModelCatalog() },
  ],
})
export class LlmRoutesModule {}
