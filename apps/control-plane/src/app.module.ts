import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { ProblemFilter, RequestValidationInterceptor } from '@gnomon/http-api';
import type { Logger } from '@gnomon/observability';
import { ApiKeyModule } from './api-keys/api-key.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { BudgetModule } from './budget/budget.module';
import type { ControlPlaneConfig } from './config/control-plane.config';
import { HealthModule } from './health/health.module';
import { LimitsModule } from './limits/limits.module';
import { LlmRoutesModule } from './llm-routes/llm-routes.module';
import { MemberModule } from './members/member.module';
import { PlatformModule } from './platform/platform.module';
import { SessionsModule } from './sessions/sessions.module';
import { ProviderCredentialModule } from './provider-credentials/provider-credential.module';
import { TenantModule } from './tenants/tenant.module';
import { ToolModule } from './tools/tool.module';
import { TaskModule } from './tasks/task.module';
import { RunsModule } from './runs/runs.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { UsageModule } from './usage/usage.module';
import { OverviewModule } from './overview/overview.module';
import { ProvidersModule } from './providers/providers.module';

@Module({})
export class AppModule {
  static with(config: ControlPlaneConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DiscoveryModule,
        PlatformModule.forRoot(config, logger),
        AuthModule,
        HealthModule,
        AuditModule,
        TenantModule,
        MemberModule,
        SessionsModule,
        ApiKeyModule,
        ProviderCredentialModule,
        LlmRoutesModule,
        LimitsModule,
        BudgetModule,
        UsageModule,
        OverviewModule,
        ProvidersModule,
        ToolModule,
        TaskModule,
        RunsModule,
        ApprovalsModule,
        DashboardModule,
      ],
      providers: [
        { provide: APP_FILTER, useValue: new ProblemFilter(logger) },
        { provide: APP_INTERCEPTOR, useClass: RequestValidationInterceptor },
      ],
    };
  }
}
