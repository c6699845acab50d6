/** Errors of the tool runtime's own API (not tool failures, which are execution statuses). */
export const TOOL_RUNTIME_ERRORS = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  not_found: { status: 404, title: 'Not found' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  too_many_executions: { status: 429, title: 'Too many executions' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const;
export type ToolRuntimeErrorCode = keyof typeof TOOL_RUNTIME_ERRORS;

export class ToolRuntimeError extends Error {
  override readonly name = 'ToolRuntimeError';
  constructor(
    readonly code: ToolRuntimeErrorCode,
    message: string,
    readonly extra: {
      errors?: { path: string; message: string }[];
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(message);
  }
}
