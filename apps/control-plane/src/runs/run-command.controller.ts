import { Body, Controller, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  CancelRunRequest,
  ReplayRunRequest,
  RunParams,
  RunView,
  StartRunRequest,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import type { FastifyReply } from 'fastify';
import { API_V1 } from '../platform/routes';
import { RunCommandService } from './run-command.service';

const TAG = 'Runs';

/** Starting, cancelling and replaying runs. */
@Controller(`${API_V1}/runs`)
export class RunCommandController {
  constructor(private readonly runs: RunCommandService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'runs:write',
    tenantScoped: true,
    tag: TAG,
    summary:
      'Start a run of a task (its current or a pinned version). With an Idempotency-Key, the same key ' +
      'returns the same run (header Idempotent-Replayed: true) and never starts a second one',
    body: StartRunRequest,
    response: RunView,
    status: 201,
  })
  async start(
    @Caller() caller: TenantCaller,
    @Body() body: StartRunRequest,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { run, replayed } = await this.runs.start(caller, body, idempotencyKey);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return run;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Endpoint({
    access: 'runs:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Cancel a run: it ends CANCELLED and the model or tool call in flight is aborted',
    params: RunParams,
    body: CancelRunRequest,
    response: RunView,
  })
  cancel(
    @Caller() caller: TenantCaller,
    @Param() params: RunParams,
    @Body() body: CancelRunRequest | undefined,
  ) {
    return this.runs.cancel(caller, params.id, body ?? {});
  }

  @Post(':id/replay')
  @HttpCode(201)
  @Endpoint({
    access: 'runs:write',
    tenantScoped: true,
    tag: TAG,
    summary:
      'Start a new run of the same task version and input that reuses the outputs recorded before fromStep',
    params: RunParams,
    body: ReplayRunRequest,
    response: RunView,
    status: 201,
  })
  replay(
    @Caller() caller: TenantCaller,
    @Param() params: RunParams,
    @Body() body: ReplayRunRequest,
  ) {
    return this.runs.replay(caller, params.id, body);
  }
}
