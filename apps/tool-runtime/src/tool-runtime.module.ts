import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { awsServiceSettings, createS3Client } from '@gnomon/aws';
import { MetricsRegistry, type Logger } from '@gnomon/observability';
import { ToolSchemaValidator } from '@gnomon/tools';
import { ArtifactStore } from './artifacts/artifact-store';
import type { ToolRuntimeConfig } from './config/tool-runtime.config';
import { AddressPolicy, EgressClient, openEgressGateway } from './egress';
import { ExecutionAdmission } from './executions/execution-admission';
import { ExecutionMetrics } from './executions/execution-metrics';
import { ExecutionService } from './executions/execution.service';
import { ExecutionsController } from './executions/executions.controller';
import { HttpToolExecutor } from './executions/http-tool.executor';
import { HealthController } from './health/health.controller';
import { ServiceTokenGuard } from './platform/service-token.guard';
import { LOGGER, SERVICE_TOKEN, TOOL_RUNTIME_CONFIG } from './platform/tokens';
import { ToolRuntimeErrorFilter } from './platform/tool-runtime-error.filter';
import { SandboxRunner } from './sandbox';

/** What the tests may replace: the DNS resolver of the egress client (names → addresses). */
export interface ToolRuntimeOverrides {
  resolve?: (hostname: string) => Promise<{ address: string; family: number }[]>;
}

@Module({})
export class ToolRuntimeModule {
  static with(
    config: ToolRuntimeConfig,
    logger: Logger,
    overrides: ToolRuntimeOverrides = {},
  ): DynamicModule {
    const { env } = config;
    const providers: Provider[] = [
      { provide: TOOL_RUNTIME_CONFIG, useValue: config },
      { provide: SERVICE_TOKEN, useValue: config.serviceToken },
      { provide: LOGGER, useValue: logger },
      { provide: MetricsRegistry, useValue: new MetricsRegistry('tool-runtime') },
      {
        provide: EgressClient,
        useFactory: () =>
          new EgressClient({
            addressPolicy: new AddressPolicy({ allowCidrs: env.TOOL_EGRESS_ALLOW_CIDRS }),
            ...(overrides.resolve ? { resolve: overrides.resolve } : {}),
          }),
      },
      {
        provide: SandboxRunner,
        inject: [EgressClient],
        useFactory: (client: EgressClient) =>
          new SandboxRunner({
            workRoot: env.TOOL_WORK_DIR,
            bubblewrap: env.TOOL_BUBBLEWRAP,
            openEgress: (socketPath, allowNet) =>
              openEgressGateway({ socketPath, allowNet, client }),
          }),
      },
      {
        provide: HttpToolExecutor,
        inject: [EgressClient],
        useFactory: (client: EgressClient) => new HttpToolExecutor(client),
      },
      {
        provide: ArtifactStore,
        useFactory: () =>
          new ArtifactStore(
            createS3Client(awsServiceSettings(env, 'S3')),
            env.GNOMON_ARTIFACT_BUCKET,
          ),
      },
      {
        provide: ExecutionAdmission,
        useValue: new ExecutionAdmission({
          maxConcurrency: env.TOOL_MAX_CONCURRENCY,
          maxConcurrencyPerTenant: env.TOOL_MAX_CONCURRENCY_PER_TENANT,
          queueLimit: env.TOOL_QUEUE_LIMIT,
          queueTimeoutMs: env.TOOL_QUEUE_TIMEOUT_MS,
        }),
      },
      { provide: ToolSchemaValidator, useValue: new ToolSchemaValidator() },
      ExecutionMetrics,
      ExecutionService,
      ServiceTokenGuard,
      { provide: APP_FILTER, useValue: new ToolRuntimeErrorFilter(logger) },
    ];
    return {
      module: ToolRuntimeModule,
      controllers: [ExecutionsController, HealthController],
      providers,
    };
  }
}
