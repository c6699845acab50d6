import { z } from 'zod';
import { ApiKeyScope, MemberRole } from './scopes';
import { Email } from './tenant.dto';

/** Dashboard sign-in (docs/sign-in.md, ADR 0011). Browser-safe: the dashboard imports these. */
export const SESSION_COOKIE = 'gnomon_session';
/** Readable by the page's script, which echoes it in CSRF_HEADER on every mutation. */
export const CSRF_COOKIE = 'gnomon_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

/** Passwords members choose (accepting an invitation or a reset link). */
export const NewPassword = z
  .string()
  .min(12, 'at least 12 characters')
  .max(256, 'at most 256 characters');

export const SignInBody = z.strictObject({
  email: Email,
  password: z.string().min(1).max(256),
  tenantId: z
    .uuid()
    .optional()
    .describe('The tenant to sign in to, when the email belongs to members of several'),
});
export type SignInBody = z.infer<typeof SignInBody>;

export const AdminKeySignInBody = z.strictObject({
  key: z.string().min(1).max(512).describe('The platform admin key'),
});
export type AdminKeySignInBody = z.infer<typeof AdminKeySignInBody>;

export const AcceptLinkBody = z.strictObject({
  token: z.string().min(1).max(200).describe('The token of an invitation or reset link'),
  password: NewPassword,
});
export type AcceptLinkBody = z.infer<typeof AcceptLinkBody>;

export const SESSION_PRINCIPAL_TYPES = ['MEMBER', 'PLATFORM_ADMIN'] as const;

export const SessionPrincipalView = z.object({
  type: z.enum(SESSION_PRINCIPAL_TYPES),
  /** Member id, or the platform key's id for a platform admin. */
  id: z.string(),
  memberId: z.uuid().nullable(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  role: MemberRole.nullable(),
  tenantId: z.uuid().nullable(),
  tenantName: z.string().nullable(),
  scopes: z.array(ApiKeyScope),
});
export type SessionPrincipalView = z.infer<typeof SessionPrincipalView>;

export const SessionView = z.object({
  principal: SessionPrincipalView,
  csrfToken: z.string().describe('Send it as X-CSRF-Token on every mutating request'),
  expiresAt: z.iso.datetime().describe('Absolute end of the session'),
  idleExpiresAt: z.iso.datetime().describe('End of the session unless it is used before'),
});
export type SessionView = z.infer<typeof SessionView>;

/** One tenant a sign-in may choose (`409 tenant_required` lists them in `tenants`). */
export const TenantChoice = z.object({ id: z.uuid(), name: z.string() });
export type TenantChoice = z.infer<typeof TenantChoice>;

export const OidcStatusView = z.object({
  enabled: z.boolean(),
  issuer: z.string().nullable(),
});
export type OidcStatusView = z.infer<typeof OidcStatusView>;

export const OidcStartQuery = z.strictObject({
  tenantId: z.uuid().optional().describe('Sign in to this tenant (when the email has several)'),
});
export type OidcStartQuery = z.infer<typeof OidcStartQuery>;

/**
 * The issuer's redirect back. Not strict: issuers add parameters of their own (`iss`,
 * `session_state`, `scope`, …), which are ignored.
 */
export const OidcCallbackQuery = z.object({
  code: z.string().min(1).max(2048).optional(),
  state: z.string().min(1).max(512).optional(),
  error: z.string().max(256).optional(),
});
export type OidcCallbackQuery = z.infer<typeof OidcCallbackQuery>;
