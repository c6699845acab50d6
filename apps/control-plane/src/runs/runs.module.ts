import { Module } from '@nestjs/common';
import { CONFIG } from '../platform/tokens';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import {
  RUN_EVENT_STREAM_SETTINGS,
  RunEventStreams,
  runEventStreamSettings,
} from './run-events.stream';
import { AuditModule } from '../audit/audit.module';
import { BudgetModule } from '../budget/budget.module';
import { RunCommandController } from './run-command.controller';
import { RunCommandService } from './run-command.service';
import { RunQueryController } from './run-query.controller';
import { RunQueryRepository } from './run-query.repository';
import { RunQueryService } from './run-query.service';
import { StepOutputModule } from './step-output.module';
import { WORKFLOW_ENGINE, workflowEngineProvider } from './workflow-engine.provider';

@Module({
  imports: [AuditModule, BudgetModule, StepOutputModule],
  controllers: [RunQueryController, RunCommandController],
  providers: [
    workflowEngineProvider,
    RunCommandService,
    {
      provide: RUN_EVENT_STREAM_SETTINGS,
      inject: [CONFIG],
      useFactory: (config: ControlPlaneConfig) => runEventStreamSettings(config),
    },
    RunQueryRepository,
    RunQueryService,
    RunEventStreams,
  ],
  exports: [RunQueryRepository, WORKFLOW_ENGINE],
})
export class RunsModule {}
