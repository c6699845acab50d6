import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ERROR_CODES, type ErrorCode, type ProblemDetails } from '@gnomon/contracts';
import type { Logger } from '@gnomon/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { ApiError } from './api-error';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed_json',
};

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'too_many_requests',
  503: 'service_unavailable',
};

/** Maps anything thrown to an RFC 9457 problem with a stable code and the request id. */
export function toProblem(
  error: unknown,
  requestId: string,
): { problem: ProblemDetails; headers: Record<string, string> } {
  let code: ErrorCode = 'internal_error';
  let detail = 'An unexpected error occurred';
  let headers: Record<string, string> = {};
  let errors: ProblemDetails['errors'];
  let extensions: Pick<ProblemDetails, 'tenants'> = {};
  // Nest's Fastify adapter wraps Fastify's 4xx errors (bad JSON, too large) in an HttpException.
  if (error instanceof HttpException && isFastifyError(error.cause)) error = error.cause;
  if (error instanceof ApiError) {
    code = error.code;
    detail = error.detail;
    headers = error.extras.headers ?? {};
    errors = error.extras.errors;
    extensions = error.extras.problem ?? {};
  } else if (error instanceof HttpException) {
    code =
      STATUS_CODES[error.getStatus()] ??
      (error.getStatus() < 500 ? 'validation_failed' : 'internal_error');
    detail = error.getStatus() === 404 ? 'No such route' : error.message;
  } else if (isFastifyError(error)) {
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError) {
      code = 'malformed_json';
      detail = 'The request body is not valid JSON';
    } else {
      code = FASTIFY_CODES[error.code] ?? STATUS_CODES[error.statusCode] ?? 'internal_error';
      detail = code === 'internal_error' ? detail : error.message;
    }
  }
  const { status, title } = ERROR_CODES[code];
  const problem: ProblemDetails = {
    type: `https://docs.gnomon.dev/errors/${code}`,
    title,
    status,
    detail,
    code,
    requestId,
  };
  if (errors) problem.errors = errors;
  Object.assign(problem, extensions);
  if (status >= 500) problem.errorId = randomUUID();
  return { problem, headers };
}

function isFastifyError(error: unknown): error is Error & { code: string; statusCode: number } {
  return (
    error instanceof Error &&
    typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
    typeof (error as { code?: unknown }).code === 'string'
  );
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  error: unknown,
  logger: Logger,
): void {
  const { problem, headers } = toProblem(error, String(request.id));
  if (problem.errorId) {
    logger.error(
      {
        err: error,
        errorId: problem.errorId,
        requestId: problem.requestId,
        tenantId: request.gnomon?.tenant?.tenantId,
      },
      'request failed',
    );
  }
  void reply
    .status(problem.status)
    .headers(headers)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(JSON.stringify(problem));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(
      http.getResponse<FastifyReply>(),
      http.getRequest<FastifyRequest>(),
      error,
      this.logger,
    );
  }
}
