import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  CreateProviderCredentialBody,
  IdParams,
  PageQuery,
  ProviderCredentialView,
  pageOf,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { API_V1 } from '../platform/routes';
import { ProviderCredentialService } from './provider-credential.service';

const TAG = 'Provider credentials';

@Controller(`${API_V1}/provider-credentials`)
export class ProviderCredentialController {
  constructor(private readonly credentials: ProviderCredentialService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Store your own provider key (encrypted; never returned)',
    body: CreateProviderCredentialBody,
    response: ProviderCredentialView,
    status: 201,
  })
  create(@Caller() caller: TenantCaller, @Body() body: CreateProviderCredentialBody) {
    return this.credentials.create(caller, body);
  }

  @Get()
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'List stored provider credentials (without the keys)',
    query: PageQuery,
    response: pageOf(ProviderCredentialView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: PageQuery) {
    return this.credentials.list(caller, query.limit, query.cursor);
  }

  @Get(':id')
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get a stored provider credential (without the key)',
    params: IdParams,
    response: ProviderCredentialView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: IdParams) {
    return this.credentials.get(caller.tenant, params.id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({
    access: 'keys:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Delete a stored provider credential (the key is destroyed)',
    params: IdParams,
    status: 204,
  })
  async remove(@Caller() caller: TenantCaller, @Param() params: IdParams): Promise<void> {
    await this.credentials.remove(caller, params.id);
  }
}
