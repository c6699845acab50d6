import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** The short-lived cookie that carries an OIDC sign-in from /start to /callback. */
export const OIDC_STATE_COOKIE = 'gnomon_oidc';
export const OIDC_STATE_PATH = '/api/v1/auth/oidc';
export const OIDC_STATE_TTL_MS = 10 * 60_000;

const OidcState = z.strictObject({
  state: z.string().min(1),
  nonce: z.string().min(1),
  /** PKCE code verifier: only its S256 challenge went to the issuer. */
  verifier: z.string().min(43).max(128),
  tenantId: z.uuid().nullable(),
  expiresAt: z.number().int(),
});
export type OidcState = z.infer<typeof OidcState>;

/** HMAC with the platform pepper, domain-separated from every other use of it. */
export type Signer = (text: string) => string;

/** `<base64url JSON>.<signature>`: integrity-protected, readable (it holds nothing secret). */
export function sealOidcState(value: OidcState, sign: Signer): string {
  const payload = Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${payload}.${sign(payload)}`;
}

/** The state, if the cookie is ours, untampered and not expired; null otherwise. */
export function openOidcState(
  cookie: string | undefined,
  sign: Signer,
  now: number,
): OidcState | null {
  if (!cookie || cookie.length > 4096) return null;
  const [payload, signature, ...rest] = cookie.split('.');
  if (!payload || !signature || rest.length > 0) return null;
  if (!sameText(sign(payload), signature)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const state = OidcState.safeParse(parsed);
  if (!state.success || state.data.expiresAt <= now) return null;
  return state.data;
}

/** The PKCE S256 challenge of a verifier (RFC 7636). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
