import { z } from 'zod';

/** Every permission an API key can carry. Closed list: unknown scopes are rejected. */
export const API_KEY_SCOPES = [
  'tasks:read',
  'tasks:write',
  'tools:read',
  'tools:write',
  'runs:read',
  'runs:write',
  'approvals:write',
  'llm:invoke',
  'keys:manage',
  'members:manage',
  'usage:read',
] as const;

export const ApiKeyScope = z.enum(API_KEY_SCOPES);
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

export const MEMBER_ROLES = ['OWNER', 'ADMIN', 'MEMBER', 'VIEWER'] as const;
export const MemberRole = z.enum(MEMBER_ROLES);
export type MemberRole = z.infer<typeof MemberRole>;

/**
 * The most a key bound to a member of this role may do. A key's effective scopes are its
 * own scopes intersected with its member's current role, so demoting a member narrows
 * their keys at once.
 */
export const ROLE_SCOPES: Readonly<Record<MemberRole, readonly ApiKeyScope[]>> = {
  OWNER: API_KEY_SCOPES,
  ADMIN: API_KEY_SCOPES,
  MEMBER: [
    'tasks:read',
    'tasks:write',
    'tools:read',
    'runs:read',
    'runs:write',
    'approvals:write',
    'llm:invoke',
    'usage:read',
  ],
  VIEWER: ['tasks:read', 'tools:read', 'runs:read', 'usage:read'],
};

export function scopesAllowedForRole(
  role: MemberRole,
  scopes: readonly ApiKeyScope[],
): ApiKeyScope[] {
  const allowed = new Set(ROLE_SCOPES[role]);
  return scopes.filter((scope) => allowed.has(scope));
}
