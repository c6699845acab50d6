import type { TenantChoice } from '@gnomon/contracts';
import { ApiError } from '@gnomon/http-api';

/** Sign-in failures. Each says as little as it can: never which part of a credential was wrong. */
export const wrongPassword = () =>
  new ApiError('unauthenticated', 'email or password is wrong', {
    headers: { 'www-authenticate': 'Bearer realm="gnomon"' },
  });

export const wrongAdminKey = () =>
  new ApiError('unauthenticated', 'this is not the platform admin key', {
    headers: { 'www-authenticate': 'Bearer realm="gnomon"' },
  });

/** The password matched members of several tenants: the caller picks one. */
export const tenantRequired = (tenants: TenantChoice[]) =>
  new ApiError('tenant_required', 'this email and password match several tenants: send tenantId', {
    problem: { tenants },
  });

/** Unknown, used or expired link: one answer for all three. */
export const badLinkToken = () =>
  new ApiError('validation_failed', 'body.token: this link is not valid (any more)', {
    errors: [{ path: 'body.token', message: 'this link is not valid (any more)' }],
  });

export const notASession = () =>
  new ApiError('unauthenticated', 'not signed in: this request carries no session cookie', {
    headers: { 'www-authenticate': 'Bearer realm="gnomon"' },
  });

export const signOutNotAllowed = () =>
  new ApiError('forbidden', 'only a signed-in person or the platform admin key can do this');

export const oidcNotConfigured = () =>
  new ApiError('not_found', 'OpenID Connect sign-in is not configured on this platform');

/** Why an OIDC sign-in was refused: the dashboard shows it from `/admin/?signInError=<code>`. */
export type OidcFailure =
  | 'oidc_denied'
  | 'oidc_state'
  | 'oidc_failed'
  | 'email_not_verified'
  | 'no_member'
  | 'tenant_required';

export class OidcRefusal extends Error {
  constructor(
    readonly code: OidcFailure,
    detail: string,
  ) {
    super(detail);
    this.name = 'OidcRefusal';
  }
}
