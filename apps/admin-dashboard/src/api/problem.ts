import type { ErrorCode, ProblemDetails } from '@gnomon/contracts';

/**
 * A refusal from the control plane: its application/problem+json body, typed. Responses that
 * are not problem documents (a proxy's HTML error page, a network failure) are turned into one
 * so every error shown in the UI has the same shape.
 */
export class ApiProblem extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail || problem.title);
    this.name = 'ApiProblem';
  }

  get status(): number {
    return this.problem.status;
  }

  get code(): ErrorCode {
    return this.problem.code;
  }

  /** The messages of validation errors by path without its `body.` prefix (form fields). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const error of this.problem.errors ?? []) {
      const field = error.path.replace(/^(body|query|params)\.?/, '');
      out[field] ??= error.message;
    }
    return out;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A problem document from a parsed body, or null when the body is not one. */
export function asProblemDetails(body: unknown): ProblemDetails | null {
  if (!isRecord(body)) return null;
  if (typeof body.status !== 'number' || typeof body.code !== 'string') return null;
  return {
    type: typeof body.type === 'string' ? body.type : 'about:blank',
    title: typeof body.title === 'string' ? body.title : 'Request failed',
    status: body.status,
    detail: typeof body.detail === 'string' ? body.detail : '',
    code: body.code as ErrorCode,
    requestId: typeof body.requestId === 'string' ? body.requestId : '',
    ...(typeof body.errorId === 'string' ? { errorId: body.errorId } : {}),
    ...(Array.isArray(body.errors)
      ? {
          errors: body.errors.filter(isRecord).map((e) => ({
            path: typeof e.path === 'string' ? e.path : '',
            message: typeof e.message === 'string' ? e.message : '',
          })),
        }
      : {}),
    // Extra members (e.g. `tenants` of tenant_required) are kept.
    ...Object.fromEntries(Object.entries(body).filter(([key]) => !KNOWN_MEMBERS.has(key))),
  };
}

const KNOWN_MEMBERS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'code',
  'requestId',
  'errorId',
  'errors',
]);

/** A problem for a response that carried none (not JSON, or the network failed). */
export function syntheticProblem(status: number, detail: string): ProblemDetails {
  const code: ErrorCode =
    status === 0
      ? 'service_unavailable'
      : status === 401
        ? 'unauthenticated'
        : status === 403
          ? 'forbidden'
          : status === 404
            ? 'not_found'
            : status >= 500
              ? 'internal_error'
              : 'validation_failed';
  return {
    type: 'about:blank',
    title: status === 0 ? 'The control plane could not be reached' : `HTTP ${status}`,
    status,
    detail,
    code,
    requestId: '',
  };
}
