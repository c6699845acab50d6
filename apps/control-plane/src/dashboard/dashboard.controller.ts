import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiError, Endpoint } from '@gnomon/http-api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  DASHBOARD_BASE,
  DASHBOARD_SECURITY_HEADERS,
  DashboardAssets,
  NO_CACHE,
  notBuiltPage,
} from './dashboard-assets';

const TAG = 'Admin dashboard';

/**
 * The dashboard's own links carry query strings (`/admin/accept?token=…`, filters); the server
 * only hands out files, so it accepts any small query and reads none of it.
 */
const PageQuery = z.record(
  z.string().max(100),
  z.union([z.string().max(4096), z.array(z.string().max(4096)).max(20)]),
);

@Controller(DASHBOARD_BASE.slice(1))
export class DashboardController {
  constructor(@Inject(DashboardAssets) private readonly assets: DashboardAssets) {}

  @Get()
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary: 'The admin dashboard (redirects to /admin/)',
    query: PageQuery,
    status: 302,
  })
  async root(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    await reply.redirect(`${DASHBOARD_BASE}/${search}`, 302);
  }

  @Get('*')
  @Endpoint({
    access: 'public',
    tag: TAG,
    summary:
      'The admin dashboard: its files, and its page for every other path below /admin/ ' +
      '(503 until it has been built)',
    query: PageQuery,
    contentType: 'text/html',
  })
  async page(@Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const wildcard = (request.params as Record<string, string | undefined>)['*'] ?? '';
    const file = await this.assets.resolve(wildcard);
    void reply.headers(DASHBOARD_SECURITY_HEADERS);
    if (file.kind === 'not-built') {
      request.log.warn({ dir: file.dir }, 'admin dashboard requested but not built');
      await reply
        .code(503)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', NO_CACHE)
        .send(notBuiltPage());
      return;
    }
    if (file.kind === 'not-found') throw new ApiError('not_found', 'no such dashboard file');
    await reply
      .header('content-type', file.contentType)
      .header('cache-control', file.cacheControl)
      .send(file.body);
  }
}
