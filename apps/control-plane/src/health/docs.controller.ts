import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiError, Endpoint } from '@gnomon/http-api';
import type { FastifyReply } from 'fastify';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { OpenApiDocument } from './openapi-document';

/** Swagger UI assets shipped inside @fastify/swagger-ui; served from here so no CDN is needed. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'application/javascript; charset=utf-8',
};
const assetDir = path.join(
  path.dirname(require.resolve('@fastify/swagger-ui/package.json')),
  'static',
);

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gnomon API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/swagger-ui-standalone-preset.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body></html>`;
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({ url: '/api/openapi.json', dom_id: '#ui', presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });`;

@Controller('api')
export class DocsController {
  constructor(private readonly document: OpenApiDocument) {}

  @Get('openapi.json')
  @Endpoint({ access: 'public', tag: 'Operations', summary: 'This OpenAPI document' })
  openapi() {
    return this.document.get();
  }

  @Get('docs')
  @Endpoint({ access: 'public', tag: 'Operations', summary: 'Interactive API documentation' })
  async page(@Res() reply: FastifyReply) {
    await reply.header('content-type', 'text/html; charset=utf-8').send(DOCS_PAGE);
  }

  @Get('docs/assets/:file')
  @Endpoint({
    access: 'public',
    tag: 'Operations',
    summary: 'Documentation page assets',
    params: z.strictObject({ file: z.string().max(64) }),
  })
  async asset(@Param() params: { file: string }, @Res() reply: FastifyReply) {
    if (params.file === 'init.js') {
      await reply.header('content-type', ASSETS['swagger-ui-bundle.js']).send(INIT_SCRIPT);
      return;
    }
    const type = ASSETS[params.file];
    if (!type) throw new ApiError('not_found', 'no such asset');
    const body = await readFile(path.join(assetDir, params.file));
    await reply
      .header('content-type', type)
      .header('cache-control', 'public, max-age=3600')
      .send(body);
  }
}
