import { randomUUID } from 'node:crypto';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Logger } from '@gnomon/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  TOOL_RUNTIME_ERRORS,
  ToolRuntimeError,
  type ToolRuntimeErrorCode,
} from './tool-runtime-error';

/** Renders every error as application/problem+json with a stable code and the request id. */
@Catch()
export class ToolRuntimeErrorFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { code, detail, extra } = classify(error);
    const { status, title } = TOOL_RUNTIME_ERRORS[code];
    const problem: Record<string, unknown> = {
      type: `https://docs.gnomon.dev/errors/${code}`,
      title,
      status,
      detail,
      code,
      requestId: String(request.id),
    };
    if (extra.errors) problem.errors = extra.errors;
    if (status >= 500) {
      problem.errorId = randomUUID();
      this.logger.error({ err: error, errorId: problem.errorId, requestId: request.id }, detail);
    }
    if (extra.retryAfterSeconds !== undefined)
      void reply.header('retry-after', String(extra.retryAfterSeconds));
    void reply.status(status).header('content-type', 'application/problem+json').send(problem);
  }
}

function classify(error: unknown): {
  code: ToolRuntimeErrorCode;
  detail: string;
  extra: ToolRuntimeError['extra'];
} {
  if (error instanceof ToolRuntimeError)
    return { code: error.code, detail: error.message, extra: error.extra };
  const cause = error instanceof HttpException ? (error.cause ?? error) : error;
  const statusCode = (cause as { statusCode?: unknown }).statusCode;
  const fastifyCode = (cause as { code?: unknown }).code;
  if (fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return { code: 'payload_too_large', detail: 'the request body is too large', extra: {} };
  if (fastifyCode === 'FST_ERR_CTP_INVALID_JSON_BODY' || cause instanceof SyntaxError)
    return { code: 'malformed_json', detail: 'the request body is not valid JSON', extra: {} };
  if (error instanceof HttpException && error.getStatus() === 404)
    return { code: 'not_found', detail: 'no such route', extra: {} };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500)
    return { code: 'validation_failed', detail: (cause as Error).message, extra: {} };
  return { code: 'internal_error', detail: 'an unexpected error occurred', extra: {} };
}
