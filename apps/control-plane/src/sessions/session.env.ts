import { z } from 'zod';

const Bool = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** Dashboard sign-in settings (docs/sign-in.md). */
export const SessionEnv = z.object({
  /** A session ends after this long without a request (sliding). */
  GNOMON_SESSION_IDLE_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .default(30),
  /** A session ends this long after sign-in, however active. */
  GNOMON_SESSION_ABSOLUTE_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 24)
    .default(12),
  /** Mark the cookies `Secure` (HTTPS only). `npm start` serves plain http and sets 0. */
  GNOMON_SESSION_COOKIE_SECURE: Bool.default(true),
  /** Lifetime of invitation and password-reset links. */
  GNOMON_SIGN_IN_LINK_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(30 * 24)
    .default(72),
  /** OpenID Connect sign-in (optional): the issuer, e.g. a Cognito user pool's URL. */
  GNOMON_OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional(),
  GNOMON_OIDC_CLIENT_ID: z.string().min(1).max(512).optional(),
  GNOMON_OIDC_CLIENT_SECRET: z.string().min(1).max(2048).optional(),
  /** Where the issuer sends the browser back: `<public URL>/api/v1/auth/oidc/callback`. */
  GNOMON_OIDC_REDIRECT_URI: z.url({ protocol: /^https?$/ }).optional(),
  GNOMON_OIDC_SCOPES: z.string().min(1).max(512).default('openid email profile'),
});
export type SessionEnv = z.infer<typeof SessionEnv>;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** OIDC settings hang together: an issuer needs a client and a redirect URI, over HTTPS. */
export function checkOidcEnv(env: SessionEnv, ctx: z.RefinementCtx): void {
  if (!env.GNOMON_OIDC_ISSUER) return;
  const required = ['GNOMON_OIDC_CLIENT_ID', 'GNOMON_OIDC_REDIRECT_URI'] as const;
  for (const name of required) {
    if (!env[name]) {
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: `${name} is required when GNOMON_OIDC_ISSUER is set`,
      });
    }
  }
  const issuer = new URL(env.GNOMON_OIDC_ISSUER);
  if (issuer.protocol !== 'https:' && !LOOPBACK.has(issuer.hostname)) {
    ctx.addIssue({
      code: 'custom',
      path: ['GNOMON_OIDC_ISSUER'],
      message: 'the OIDC issuer must be an https:// URL (plain http only on loopback)',
    });
  }
}
