import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from '@gnomon/observability';
import { GatewayAuth } from './auth/gateway-auth';
import { Admission } from './completions/admission';
import { BudgetAlerts } from './completions/budget-alerts';
import { CallExecutor } from './completions/call-executor';
import { CompletionService } from './completions/completion.service';
import { CompletionStreamer } from './completions/completion-streamer';
import { CompletionsController } from './completions/completions.controller';
import { IdempotencyStore } from './completions/idempotency.store';
import type { GatewayConfig } from './config/gateway.config';
import { BreakerStatePublisher } from './health/breaker-state.publisher';
import { HealthController } from './health/health.controller';
import { ModelsController } from './models/models.controller';
import { GatewayErrorFilter } from './platform/gateway-error.filter';
import { GatewayPlatformModule } from './platform/gateway-platform.module';
import { TenantProviders } from './platform/tenant-providers';
import { UsageRecorder } from './usage/usage-recorder';

@Module({})
export class GatewayModule {
  static with(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: GatewayModule,
      imports: [GatewayPlatformModule.forRoot(config, logger)],
      controllers: [CompletionsController, ModelsController, HealthController],
      providers: [
        GatewayAuth,
        Admission,
        BreakerStatePublisher,
        BudgetAlerts,
        CallExecutor,
        CompletionService,
        CompletionStreamer,
        IdempotencyStore,
        TenantProviders,
        UsageRecorder,
        { provide: APP_FILTER, useValue: new GatewayErrorFilter(logger) },
      ],
    };
  }
}
