import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger, NestPinoLogger, type Logger } from '@gnomon/observability';
import { requestIdOf } from '@gnomon/http-api';
import { LogController } from 'fastify';
import type { GatewayConfig } from './config/gateway.config';
import { GatewayModule } from './gateway.module';

/** Builds a ready-to-listen LLM gateway (used by main.ts, the tests and the benchmark). */
export async function createGateway(
  config: GatewayConfig,
  options: { logger?: Logger } = {},
): Promise<NestFastifyApplication> {
  const logger =
    options.logger ?? createLogger({ service: 'llm-gateway', level: config.env.LOG_LEVEL });
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    bodyLimit: config.env.GNOMON_BODY_LIMIT_BYTES,
    trustProxy: config.env.GNOMON_TRUST_PROXY,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: requestIdOf,
    return503OnClosing: true,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    GatewayModule.with(config, logger),
    adapter,
    {
      logger: new NestPinoLogger(logger),
      bodyParser: false,
      abortOnError: false,
    },
  );
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', String(request.id));
  });
  app.enableShutdownHooks();
  await app.init();
  return app;
}
