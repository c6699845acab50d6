import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@gnomon/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { GatewayError } from './gateway-error';

function fromFramework(error: unknown): GatewayError {
  const cause = error instanceof HttpException && error.cause ? error.cause : error;
  const status =
    (cause as { statusCode?: unknown }).statusCode ??
    (error instanceof HttpException ? error.getStatus() : undefined);
  if (status === 404) return new GatewayError('not_found', 'no such route');
  if (status === 413) return new GatewayError('invalid_request', 'request body too large');
  if (status === 415)
    return new GatewayError('invalid_request', 'send the request body as application/json');
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new GatewayError(
      'invalid_request',
      cause instanceof Error ? cause.message : 'invalid request',
    );
  }
  return new GatewayError('internal_error', 'unexpected gateway error');
}

/** Every gateway error in the OpenAI shape, with the request id; 5xx are logged with an id. */
@Catch()
export class GatewayErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const failure = error instanceof GatewayError ? error : fromFramework(error);
    const requestId = String(request.id);
    if (reply.raw.destroyed || request.raw.socket?.destroyed) {
      // The client left; nobody will read an answer and nothing is wrong with the gateway.
      this.logger.info(
        { requestId, reason: failure.message },
        'client disconnected before the answer',
      );
      return;
    }
    if (failure.status >= 500) {
      const errorId = randomUUID();
      this.logger.error({ err: error, errorId, requestId }, 'gateway request failed');
    }
    if (reply.sent || reply.raw.headersSent) return;
    void reply
      .status(failure.status)
      .headers({ ...failure.headers, 'x-request-id': requestId })
      .send(failure.body(requestId));
  }
}
