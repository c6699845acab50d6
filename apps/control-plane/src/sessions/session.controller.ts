import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { AcceptLinkBody, AdminKeySignInBody, SessionView, SignInBody } from '@gnomon/contracts';
import { Caller, Endpoint, type RequestContext } from '@gnomon/http-api';
import type { FastifyReply } from 'fastify';
import { API_V1 } from '../platform/routes';
import { LinkSignInService } from './link-sign-in.service';
import { SessionService, type OpenedSession } from './session.service';
import { SignInService } from './sign-in.service';

const TAG = 'Sign-in';

/** Sets the session's cookies and answers its view (never cached: it carries the CSRF token). */
function respond(reply: FastifyReply, opened: OpenedSession): SessionView {
  void reply.header('set-cookie', opened.cookies).header('cache-control', 'no-store');
  return opened.view;
}

@Controller(`${API_V1}/auth`)
export class SessionController {
  constructor(
    private readonly signIn: SignInService,
    private readonly links: LinkSignInService,
    private readonly sessions: SessionService,
  ) {}

  @Post('sign-in')
  @HttpCode(200)
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary: 'Sign in with email and password (sets the session cookies)',
    body: SignInBody,
    response: SessionView,
  })
  async withPassword(
    @Caller() ctx: RequestContext,
    @Body() body: SignInBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionView> {
    return respond(reply, await this.signIn.withPassword(body, ctx));
  }

  @Post('sign-in/admin-key')
  @HttpCode(200)
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary: 'Sign in with the platform admin key (sets the session cookies)',
    body: AdminKeySignInBody,
    response: SessionView,
  })
  async withAdminKey(
    @Caller() ctx: RequestContext,
    @Body() body: AdminKeySignInBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionView> {
    return respond(reply, await this.signIn.withAdminKey(body, ctx));
  }

  @Post('accept')
  @HttpCode(200)
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary: 'Accept an invitation or reset link: set the password and sign in',
    body: AcceptLinkBody,
    response: SessionView,
  })
  async accept(
    @Caller() ctx: RequestContext,
    @Body() body: AcceptLinkBody,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SessionView> {
    return respond(reply, await this.links.accept(body, ctx));
  }

  @Get('session')
  @Endpoint({
    access: 'authenticated',
    tag: TAG,
    summary: 'The session of this request (401 without one)',
    response: SessionView,
  })
  session(
    @Caller() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): SessionView {
    void reply.header('cache-control', 'no-store');
    return this.sessions.describe(ctx.principal!);
  }

  @Post('sign-out')
  @HttpCode(204)
  @Endpoint({
    access: 'authenticated',
    tag: TAG,
    summary: 'End this session (and remove its cookies)',
    status: 204,
  })
  async signOut(
    @Caller() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.signOut(ctx);
    void reply.header('set-cookie', this.sessions.clearedCookies());
  }

  @Post('sign-out-everywhere')
  @HttpCode(204)
  @Endpoint({
    access: 'authenticated',
    tag: TAG,
    summary: "End every session of this member (or every platform admin's)",
    status: 204,
  })
  async signOutEverywhere(
    @Caller() ctx: RequestContext,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    await this.sessions.signOutEverywhere(ctx);
    if (ctx.principal?.session) void reply.header('set-cookie', this.sessions.clearedCookies());
  }
}
