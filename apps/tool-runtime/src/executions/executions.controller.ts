import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ToolExecutionRequest, type ToolExecutionResult } from '@gnomon/contracts';
import type { FastifyRequest } from 'fastify';
import { ServiceTokenGuard } from '../platform/service-token.guard';
import { ToolRuntimeError } from '../platform/tool-runtime-error';
import { ExecutionService } from './execution.service';

/** `POST /v1/executions`: run one tool for one step of a run (internal service credential). */
@Controller('v1/executions')
@UseGuards(ServiceTokenGuard)
export class ExecutionsController {
  constructor(private readonly executions: ExecutionService) {}

  @Post()
  @HttpCode(200)
  async execute(
    @Body() body: unknown,
    @Req() request: FastifyRequest,
  ): Promise<ToolExecutionResult> {
    const parsed = ToolExecutionRequest.safeParse(body);
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      }));
      throw new ToolRuntimeError(
        'validation_failed',
        errors.map((e) => `${e.path}: ${e.message}`).join('; '),
        { errors },
      );
    }
    // A caller that hangs up while queued gives its place back.
    const abandoned = new AbortController();
    request.raw.once('close', () => {
      if (!request.raw.complete || request.raw.destroyed) abandoned.abort();
    });
    return this.executions.execute(parsed.data, abandoned.signal);
  }
}
