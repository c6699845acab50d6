import { API_V1 } from '../platform/routes';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  CreateTenantBody,
  IdParams,
  TenantListQuery,
  TenantView,
  UpdateTenantBody,
  pageOf,
} from '@gnomon/contracts';
import { Caller, Endpoint, type RequestContext } from '@gnomon/http-api';
import { TenantService } from './tenant.service';

const TAG = 'Tenants (platform admin)';

@Controller(`${API_V1}/admin/tenants`)
export class TenantController {
  constructor(private readonly tenants: TenantService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'platform-admin',
    tag: TAG,
    summary: 'Create a tenant with its first owner',
    body: CreateTenantBody,
    response: TenantView,
    status: 201,
  })
  create(@Caller() caller: RequestContext, @Body() body: CreateTenantBody) {
    return this.tenants.create(caller, body);
  }

  @Get()
  @Endpoint({
    access: 'platform-admin',
    tag: TAG,
    summary: 'List tenants, newest first; search by name (or id) and filter by status',
    query: TenantListQuery,
    response: pageOf(TenantView),
  })
  list(@Query() query: TenantListQuery) {
    return this.tenants.list(query);
  }

  @Get(':id')
  @Endpoint({
    access: 'platform-admin',
    tag: TAG,
    summary: 'Get a tenant',
    params: IdParams,
    response: TenantView,
  })
  get(@Param() params: IdParams) {
    return this.tenants.get(params.id);
  }

  @Patch(':id')
  @Endpoint({
    access: 'platform-admin',
    tag: TAG,
    summary: 'Rename, suspend, reactivate or change the plan of a tenant',
    params: IdParams,
    body: UpdateTenantBody,
    response: TenantView,
  })
  update(
    @Caller() caller: RequestContext,
    @Param() params: IdParams,
    @Body() body: UpdateTenantBody,
  ) {
    return this.tenants.update(caller, params.id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({
    access: 'platform-admin',
    tag: TAG,
    summary: 'Delete a tenant (soft: its keys stop working, its data is kept)',
    params: IdParams,
    status: 204,
  })
  async remove(@Caller() caller: RequestContext, @Param() params: IdParams): Promise<void> {
    await this.tenants.remove(caller, params.id);
  }
}
