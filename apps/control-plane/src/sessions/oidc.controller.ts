import { Controller, Get, HttpCode, Query, Req, Res } from '@nestjs/common';
import { OidcCallbackQuery, OidcStartQuery, OidcStatusView } from '@gnomon/contracts';
import { Caller, Endpoint, type RequestContext } from '@gnomon/http-api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cookieValue } from '../auth/session-cookies';
import { API_V1 } from '../platform/routes';
import { OIDC_STATE_COOKIE } from './oidc-state';
import { OidcService, type Redirect } from './oidc.service';

const TAG = 'Sign-in';

function redirect(reply: FastifyReply, to: Redirect): void {
  void reply.header('location', to.location).header('cache-control', 'no-store');
  if (to.cookies.length > 0) void reply.header('set-cookie', to.cookies);
}

@Controller(`${API_V1}/auth/oidc`)
export class OidcController {
  constructor(private readonly oidc: OidcService) {}

  @Get()
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary: 'Whether OpenID Connect sign-in is configured, and its issuer',
    response: OidcStatusView,
  })
  status(): OidcStatusView {
    return this.oidc.status();
  }

  @Get('start')
  @HttpCode(302)
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary: 'Start an OpenID Connect sign-in: 302 to the issuer (code flow with PKCE)',
    query: OidcStartQuery,
    status: 302,
  })
  async start(
    @Query() query: OidcStartQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    redirect(reply, await this.oidc.start(query.tenantId));
  }

  @Get('callback')
  @HttpCode(302)
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary:
      "The issuer's redirect back: signs in and 302s to /admin/ (or /admin/?signInError=<code>)",
    query: OidcCallbackQuery,
    status: 302,
  })
  async callback(
    @Caller() ctx: RequestContext,
    @Query() query: OidcCallbackQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const state = cookieValue(request.headers.cookie, OIDC_STATE_COOKIE);
    redirect(reply, await this.oidc.callback(query, state, ctx));
  }
}
