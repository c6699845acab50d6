import { API_V1 } from '../platform/routes';
import { Controller, Get } from '@nestjs/common';
import { PrincipalView } from '@gnomon/contracts';
import { Caller, Endpoint, type RequestContext } from '@gnomon/http-api';

@Controller(`${API_V1}/me`)
export class MeController {
  @Get()
  @Endpoint({
    access: 'authenticated',
    tag: 'Identity',
    summary: 'Who the presented credential is',
    response: PrincipalView,
  })
  me(@Caller() caller: RequestContext): PrincipalView {
    const principal = caller.principal!;
    return {
      type: principal.type,
      id: principal.id,
      tenantId: principal.tenantId,
      memberId: principal.memberId,
      scopes: [...principal.scopes],
    };
  }
}
