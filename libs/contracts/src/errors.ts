/**
 * Stable error codes of the control-plane API. Clients switch on `code`, never on `title`
 * or `detail`, so a code once published is never renamed.
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  invalid_cursor: { status: 400, title: 'Invalid pagination cursor' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  budget_exceeded: { status: 402, title: 'Budget exhausted' },
  idempotency_conflict: { status: 409, title: 'Idempotency-Key reused with a different request' },
  last_owner: { status: 409, title: 'A tenant must keep at least one owner' },
  tenant_required: { status: 409, title: 'Choose the tenant to sign in to' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  too_many_requests: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal server error' },
  service_unavailable: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** RFC 9457 problem details, as every control-plane error is rendered. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string;
  errorId?: string;
  errors?: { path: string; message: string }[];
  /** `tenant_required`: the tenants the caller may choose from. */
  tenants?: { id: string; name: string }[];
}
