import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { contextOf, requestIdOf, routeCatalog } from '@gnomon/http-api';
import { createLogger, MetricsRegistry, NestPinoLogger, type Logger } from '@gnomon/observability';
import { LogController } from 'fastify';
import { AppModule } from './app.module';
import type { ControlPlaneConfig } from './config/control-plane.config';
import { OpenApiDocument } from './health/openapi-document';

/** Builds a ready-to-listen control plane (used by main.ts and by the tests). */
export async function createControlPlane(
  config: ControlPlaneConfig,
  options: { logger?: Logger } = {},
): Promise<NestFastifyApplication> {
  const logger =
    options.logger ?? createLogger({ service: 'control-plane', level: config.env.LOG_LEVEL });
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.env.GNOMON_BODY_LIMIT_BYTES,
    trustProxy: config.env.GNOMON_TRUST_PROXY,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: requestIdOf,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.with(config, logger),
    adapter,
    {
      logger: new NestPinoLogger(logger),
      bodyParser: false,
      abortOnError: false,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: a text/plain body is a 415, not a string to validate.
  fastify.removeContentTypeParser(['text/plain']);
  const metrics = app.get(MetricsRegistry);
  fastify.addHook('onRequest', async (request, reply) => {
    contextOf(request);
    void reply.header('x-request-id', String(request.id));
  });
  fastify.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });
  app.enableShutdownHooks();
  await app.init();
  app.get(OpenApiDocument).build(routeCatalog(app));
  return app;
}
