import { z } from 'zod';
import { ApiKeyScope } from './scopes';

/** Who acts: MEMBER is a person signed in to the dashboard (a session). */
export const ACTOR_TYPES = ['PLATFORM_ADMIN', 'API_KEY', 'SERVICE', 'SYSTEM', 'MEMBER'] as const;
export const ActorType = z.enum(ACTOR_TYPES);
export type ActorType = z.infer<typeof ActorType>;

/** Longest grace period a rotated key's old secret may stay valid. */
export const MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600;

export const CreateApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(ApiKeyScope)
    .min(1)
    .max(20)
    .refine((scopes) => new Set(scopes).size === scopes.length, {
      message: 'scopes must be unique',
    }),
  expiresAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('When the key stops working; omit for a key that does not expire'),
  memberId: z.uuid().optional().describe('Member the key acts for; its role bounds the key'),
});
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const RotateApiKeyBody = z.strictObject({
  gracePeriodSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_ROTATION_GRACE_SECONDS)
    .default(3600)
    .describe('How long the old secret keeps working'),
});
export type RotateApiKeyBody = z.infer<typeof RotateApiKeyBody>;

export const API_KEY_STATUSES = ['active', 'expired', 'revoked'] as const;

export const ApiKeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('Leading characters of the secret, for recognising a key'),
  lastFour: z.string(),
  scopes: z.array(ApiKeyScope),
  status: z.enum(API_KEY_STATUSES),
  memberId: z.uuid().nullable(),
  expiresAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  rotatedFromId: z.uuid().nullable(),
  createdBy: z.object({ type: ActorType, id: z.string() }),
  createdAt: z.iso.datetime(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;

export const ApiKeyWithSecret = ApiKeyView.extend({
  secret: z.string().describe('The full API key. Shown only in this response.'),
});
export type ApiKeyWithSecret = z.infer<typeof ApiKeyWithSecret>;
