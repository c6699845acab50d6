import { API_V1 } from '../platform/routes';
import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import {
  AddMemberBody,
  IdParams,
  MemberLinkView,
  MemberView,
  MemberWithInvitation,
  PageQuery,
  UpdateMemberBody,
  pageOf,
} from '@gnomon/contracts';
import { Caller, Endpoint, type TenantCaller } from '@gnomon/http-api';
import { MemberService } from './member.service';

const TAG = 'Members';

@Controller(`${API_V1}/members`)
export class MemberController {
  constructor(private readonly members: MemberService) {}

  @Post()
  @HttpCode(201)
  @Endpoint({
    access: 'members:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Add a member, with a one-time invitation link to set a password',
    body: AddMemberBody,
    response: MemberWithInvitation,
    status: 201,
  })
  add(@Caller() caller: TenantCaller, @Body() body: AddMemberBody) {
    return this.members.add(caller, body);
  }

  @Get()
  @Endpoint({
    access: 'authenticated',
    tenantScoped: true,
    tag: TAG,
    summary: 'List members, newest first',
    query: PageQuery,
    response: pageOf(MemberView),
  })
  list(@Caller() caller: TenantCaller, @Query() query: PageQuery) {
    return this.members.list(caller, query.limit, query.cursor);
  }

  @Get(':id')
  @Endpoint({
    access: 'authenticated',
    tenantScoped: true,
    tag: TAG,
    summary: 'Get a member',
    params: IdParams,
    response: MemberView,
  })
  get(@Caller() caller: TenantCaller, @Param() params: IdParams) {
    return this.members.get(caller.tenant, params.id);
  }

  @Patch(':id')
  @Endpoint({
    access: 'members:manage',
    tenantScoped: true,
    tag: TAG,
    summary: "Change a member's role or name",
    params: IdParams,
    body: UpdateMemberBody,
    response: MemberView,
  })
  update(
    @Caller() caller: TenantCaller,
    @Param() params: IdParams,
    @Body() body: UpdateMemberBody,
  ) {
    return this.members.update(caller, params.id, body);
  }

  @Post(':id/reset-link')
  @HttpCode(201)
  @Endpoint({
    access: 'members:manage',
    tenantScoped: true,
    tag: TAG,
    summary: "A new one-time link to set the member's password (earlier links stop working)",
    params: IdParams,
    response: MemberLinkView,
    status: 201,
  })
  resetLink(@Caller() caller: TenantCaller, @Param() params: IdParams) {
    return this.members.resetLink(caller, params.id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Endpoint({
    access: 'members:manage',
    tenantScoped: true,
    tag: TAG,
    summary: 'Remove a member and revoke their keys',
    params: IdParams,
    status: 204,
  })
  async remove(@Caller() caller: TenantCaller, @Param() params: IdParams): Promise<void> {
    await this.members.remove(caller, params.id);
  }
}
