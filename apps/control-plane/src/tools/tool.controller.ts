import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  CreateToolRequest,
  PageQuery,
  ToolListQuery,
  ToolParams,
  ToolVersionParams,
  ToolVersionView,
  ToolView,
  UpdateToolRequest,
  pageOf,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { API_V1 } from '../platform/routes';
import { ToolService } from './tool.service';

const TAG = 'Tools';

/** `{id}` is the tool's id or its name (tasks refer to tools by name). */
@Controller(`${API_V1}/tools`)
export class ToolController {
  constructor(private readonly tools: ToolService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'tools:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Register a tool (its version 1)',
    body: CreateToolRequest,
    response: ToolView,
    status: 201,
  })
  create(@Caller() caller: TenantCaller, @Body() body: CreateToolRequest) {
    return this.tools.create(caller, body);
  }

  @Get()
  @Endpoint({
    access: 'tools:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'List tools with their current versions, newest first',
    query: ToolListQuery,
    response: pageOf(ToolView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: ToolListQuery) {
    return this.tools.list(caller, query);
  }

  @Get(':id')
  @Endpoint({
    access: 'tools:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get a tool (by id or name) with its current version',
    params: ToolParams,
    response: ToolView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: ToolParams) {
    return this.tools.get(caller.tenant, params.id);
  }

  @Put(':id')
  @Endpoint({
    access: 'tools:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Write a new version of a tool (versions are immutable; the kind never changes)',
    params: ToolParams,
    body: UpdateToolRequest,
    response: ToolView,
  })
  update(
    @Caller() caller: TenantCaller,
    @Param() params: ToolParams,
    @Body() body: UpdateToolRequest,
  ) {
    return this.tools.update(caller, params.id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({
    access: 'tools:write',
    tenantScoped: true,
    tag: TAG,
    summary: 'Delete a tool (soft: its name becomes free, its versions are kept)',
    params: ToolParams,
    status: 204,
  })
  async remove(@Caller() caller: TenantCaller, @Param() params: ToolParams): Promise<void> {
    await this.tools.remove(caller, params.id);
  }

  @Get(':id/versions')
  @Endpoint({
    access: 'tools:read',
    tenantScoped: true,
    tag: TAG,
    summary: "List a tool's versions, newest first",
    params: ToolParams,
    query: PageQuery,
    response: pageOf(ToolVersionView),
  })
  versions(@Caller() caller: TenantCaller, @Param() params: ToolParams, @Query() query: PageQuery) {
    return this.tools.versions(caller, params.id, query);
  }

  @Get(':id/versions/:version')
  @Endpoint({
    access: 'tools:read',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get one version of a tool',
    params: ToolVersionParams,
    response: ToolVersionView,
  })
  version(@Caller() caller: TenantCaller, @Param() params: ToolVersionParams) {
    return this.tools.version(caller.tenant, params.id, params.version);
  }
}
