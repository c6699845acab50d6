import { ERROR_CODES, type ErrorCode, type ProblemDetails } from '@gnomon/contracts';

/** A domain or request error with a stable code, rendered as problem+json. */
export class ApiError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extras: {
      errors?: { path: string; message: string }[];
      headers?: Record<string, string>;
      /** Extension members of the problem body (e.g. `tenants` of `tenant_required`). */
      problem?: Pick<ProblemDetails, 'tenants'>;
    } = {},
  ) {
    super(detail);
    this.name = 'ApiError';
    this.status = ERROR_CODES[code].status;
  }
}

export const notFound = (what: string) => new ApiError('not_found', `${what} not found`);
