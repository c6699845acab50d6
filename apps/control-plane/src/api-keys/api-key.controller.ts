import { API_V1 } from '../platform/routes';
import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiKeyView,
  ApiKeyWithSecret,
  CreateApiKeyBody,
  IdParams,
  PageQuery,
  RotateApiKeyBody,
  pageOf,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { ApiKeyService } from './api-key.service';

const TAG = 'API keys';

@Controller(`${API_V1}/api-keys`)
export class ApiKeyController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Create an API key (the secret is shown once)',
    body: CreateApiKeyBody,
    response: ApiKeyWithSecret,
    status: 201,
  })
  create(@Caller() caller: TenantCaller, @Body() body: CreateApiKeyBody) {
    return this.keys.create(caller, body);
  }

  @Get()
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'List API keys, newest first',
    query: PageQuery,
    response: pageOf(ApiKeyView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: PageQuery) {
    return this.keys.list(caller, query.limit, query.cursor);
  }

  @Get(':id')
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get an API key',
    params: IdParams,
    response: ApiKeyView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: IdParams) {
    return this.keys.get(caller.tenant, params.id);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Revoke an API key (effective on every instance within a second)',
    params: IdParams,
    response: ApiKeyView,
  })
  revoke(@Caller() caller: TenantCaller, @Param() params: IdParams) {
    return this.keys.revoke(caller, params.id);
  }

  @Post(':id/rotate')
  @HttpCode(201)
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Issue a successor key; the old secret stays valid for the grace period',
    params: IdParams,
    body: RotateApiKeyBody,
    response: ApiKeyWithSecret,
    status: 201,
  })
  rotate(
    @Caller() caller: TenantCaller,
    @Param() params: IdParams,
    @Body() body: RotateApiKeyBody,
  ) {
    return this.keys.rotate(caller, params.id, body);
  }
}
