import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { ApiError } from './api-error';
import { ENDPOINT_METADATA, type EndpointSpec } from './endpoint.decorator';

/** `steps[2].next`-style path of a zod issue. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

export function validationError(where: string, error: z.ZodError): ApiError {
  const errors = error.issues.map((issue) => ({
    path: [where, issuePath(issue.path)].filter(Boolean).join('.'),
    message: issue.message,
  }));
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return new ApiError('validation_failed', detail, { errors });
}

/** Routes without a query schema take no query parameters (built once: zod compiles lazily). */
const NO_QUERY = z.strictObject({});

/**
 * The one place request input is validated: body, query and path parameters are parsed with
 * the route's declared schemas before the handler runs, and replaced by the parsed values.
 */
@Injectable()
export class RequestValidationInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const spec = this.reflector.get<EndpointSpec | undefined>(
      ENDPOINT_METADATA,
      context.getHandler(),
    );
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (spec) {
      if (spec.params) request.params = parse(spec.params, request.params, 'params');
      request.query = parse(spec.query ?? NO_QUERY, request.query ?? {}, 'query');
      if (spec.body) {
        if (request.body === undefined || request.body === null) {
          throw new ApiError('validation_failed', 'a JSON request body is required', {
            errors: [{ path: 'body', message: 'required' }],
          });
        }
        request.body = parse(spec.body, request.body, 'body');
      } else if (request.body !== undefined && request.body !== null && request.method !== 'GET') {
        const empty = typeof request.body === 'object' && Object.keys(request.body).length === 0;
        if (!empty) throw new ApiError('validation_failed', 'this endpoint takes no request body');
      }
    }
    return next.handle();
  }
}

function parse(schema: z.ZodType, value: unknown, where: string): unknown {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}
