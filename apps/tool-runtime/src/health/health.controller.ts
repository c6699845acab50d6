import { Controller, Get, Res } from '@nestjs/common';
import { MetricsRegistry } from '@gnomon/observability';
import type { FastifyReply } from 'fastify';
import { ArtifactStore } from '../artifacts/artifact-store';
import { ExecutionAdmission } from '../executions/execution-admission';
import { SandboxRunner } from '../sandbox';
import { ToolRuntimeError } from '../platform/tool-runtime-error';

@Controller()
export class HealthController {
  constructor(
    private readonly sandbox: SandboxRunner,
    private readonly artifacts: ArtifactStore,
    private readonly admission: ExecutionAdmission,
    private readonly metrics: MetricsRegistry,
  ) {}

  @Get('healthz')
  health() {
    return { status: 'ok' };
  }

  /**
   * Ready when Deno runs and the artifact bucket answers. Says plainly which isolation layers
   * this host gives (bubblewrap, OS memory cap): a host without them still runs tools, with
   * Deno's permission sandbox and the V8 heap limit only.
   */
  @Get('readyz')
  async ready() {
    const [sandbox, artifacts] = await Promise.all([
      this.sandbox.capabilities(),
      this.artifacts.check(),
    ]);
    const body = {
      status: artifacts === 'ok' ? 'ready' : 'not ready',
      checks: { artifacts: `${artifacts} (bucket ${this.artifacts.bucket})` },
      sandbox,
      admission: this.admission.snapshot(),
    };
    if (artifacts !== 'ok')
      throw new ToolRuntimeError('service_unavailable', `not ready: ${JSON.stringify(body)}`);
    return body;
  }

  @Get('metrics')
  async prometheus(@Res() reply: FastifyReply) {
    await reply
      .header('content-type', this.metrics.contentType)
      .header('cache-control', 'no-store')
      .send(await this.metrics.render());
  }
}
