import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, NestPinoLogger, type Logger } from '@gnomon/observability';
import { LogController, type RawRequestDefaultExpression } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { ToolRuntimeConfig } from './config/tool-runtime.config';
import { ToolRuntimeModule, type ToolRuntimeOverrides } from './tool-runtime.module';

/** Builds a ready-to-listen tool runtime (used by main.ts, the tests and the benchmark). */
export async function createToolRuntime(
  config: ToolRuntimeConfig,
  options: { logger?: Logger } & ToolRuntimeOverrides = {},
): Promise<NestFastifyApplication> {
  const logger =
    options.logger ?? createLogger({ service: 'tool-runtime', level: config.env.LOG_LEVEL });
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.env.GNOMON_BODY_LIMIT_BYTES,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (request: RawRequestDefaultExpression) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    ToolRuntimeModule.with(config, logger, { resolve: options.resolve }),
    adapter,
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', async (request, reply) => {
      void reply.header('x-request-id', String(request.id));
    });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
