import { useState } from 'react';
import { TextField } from '../components/Field';
import { useOidcStatus } from '../hooks/session';
import { useRouter } from '../router';

/** Why a sign-in through the issuer was refused (`/admin/?signInError=<code>`, docs/sign-in.md). */
export const SIGN_IN_ERRORS: Record<string, string> = {
  oidc_denied: 'The sign-in service did not let you in.',
  oidc_state: 'That sign-in was not started from this page, or took too long. Try again.',
  oidc_failed: 'The answer of the sign-in service could not be verified. Try again.',
  email_not_verified: 'Your email address is not verified with the sign-in service.',
  no_member: 'No member of any tenant has the email address you signed in with.',
  tenant_required:
    'Your email address belongs to members of several tenants: enter the id of the tenant to sign in to.',
};

const START = '/api/v1/auth/oidc/start';

/** The single sign-on button (when an issuer is configured) and its refusals. */
export function OidcSignIn() {
  const oidc = useOidcStatus();
  const { search } = useRouter();
  const [tenantId, setTenantId] = useState('');
  const error = search.get('signInError');
  const message = error ? (SIGN_IN_ERRORS[error] ?? `Single sign-on failed (${error}).`) : null;
  if (!oidc.data?.enabled) {
    return message ? (
      <p className="problem" role="alert">
        {message}
      </p>
    ) : null;
  }
  const issuer = oidc.data.issuer ? new URL(oidc.data.issuer).host : 'single sign-on';
  const href = tenantId.trim() ? `${START}?tenantId=${encodeURIComponent(tenantId.trim())}` : START;
  return (
    <section className="oidc" aria-label="Single sign-on">
      {message && (
        <p className="problem" role="alert">
          {message}
        </p>
      )}
      {error === 'tenant_required' && (
        <TextField label="Tenant id" value={tenantId} onChange={setTenantId} />
      )}
      <p>
        <a className="button" href={href}>
          Sign in with {issuer}
        </a>
      </p>
    </section>
  );
}
