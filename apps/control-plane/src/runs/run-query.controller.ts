import { Controller, Get, Header, Headers, Param, Query, StreamableFile } from '@nestjs/common';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import {
  RunEventView,
  RunListQuery,
  RunMetricsView,
  RunParams,
  RunSummaryView,
  RunView,
  StepListQuery,
  StepView,
  TimelineQuery,
  pageOf,
} from '@gnomon/contracts';
import { API_V1 } from '../platform/routes';
import { RunEventStreams, parseLastEventId } from './run-events.stream';
import { RunQueryService } from './run-query.service';

const TAG = 'Runs';

/** Reading runs: lists, one run, its steps, its timeline, its figures and its live events. */
@Controller(`${API_V1}/runs`)
export class RunQueryController {
  constructor(
    private readonly runs: RunQueryService,
    private readonly streams: RunEventStreams,
  ) {}

  @Get()
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'List runs, newest first (filter by status, task and creation time)',
    query: RunListQuery,
    response: pageOf(RunSummaryView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: RunListQuery) {
    return this.runs.list(caller, query);
  }

  @Get(':id')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get a run with its input, output, error and usage',
    params: RunParams,
    response: RunView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: RunParams) {
    return this.runs.get(caller.tenant, params.id);
  }

  @Get(':id/steps')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: "List a run's steps (one per step visit or agent turn) in seq order",
    params: RunParams,
    query: StepListQuery,
    response: pageOf(StepView),
  })
  steps(@Caller() caller: TenantCaller, @Param() params: RunParams, @Query() query: StepListQuery) {
    return this.runs.steps(caller, params.id, query);
  }

  @Get(':id/timeline')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: "List a run's events in the order they happened",
    params: RunParams,
    query: TimelineQuery,
    response: pageOf(RunEventView),
  })
  timeline(
    @Caller() caller: TenantCaller,
    @Param() params: RunParams,
    @Query() query: TimelineQuery,
  ) {
    return this.runs.timeline(caller, params.id, query);
  }

  @Get(':id/metrics')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary: "A run's tokens, cost and time, in total and per step",
    params: RunParams,
    response: RunMetricsView,
  })
  metrics(@Caller() caller: TenantCaller, @Param() params: RunParams) {
    return this.runs.metrics(caller.tenant, params.id);
  }

  /**
   * Server-sent events: `id: <event id>`, `event: <type>`, `data: <RunEventView JSON>`. Resumes
   * after the `Last-Event-ID` header; ends once the run is terminal and every event was sent.
   */
  @Get(':id/events')
  @Header('Cache-Control', 'no-cache, no-transform')
  @Header('X-Accel-Buffering', 'no')
  @Endpoint({
    access: 'runs:read',
    tenantScoped: true,
    tag: TAG,
    summary:
      "Follow a run's events live (server-sent events; resume with Last-Event-ID; the " +
      'stream ends when the run has finished)',
    params: RunParams,
    response: RunEventView,
    contentType: 'text/event-stream',
  })
  async events(
    @Caller() caller: TenantCaller,
    @Param() params: RunParams,
    @Headers('last-event-id') lastEventId: string | undefined,
  ): Promise<StreamableFile> {
    const after = parseLastEventId(lastEventId);
    const body = await this.streams.openStream(caller.tenant, params.id, after);
    return new StreamableFile(body, { type: 'text/event-stream; charset=utf-8' });
  }
}
