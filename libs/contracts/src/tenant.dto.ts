import { z } from 'zod';
import { PageQuery } from './pagination';

export const TENANT_STATUSES = ['ACTIVE', 'SUSPENDED'] as const;
export const TenantStatus = z.enum(TENANT_STATUSES);
export type TenantStatus = z.infer<typeof TenantStatus>;

export const TENANT_PLANS = ['FREE', 'TEAM', 'ENTERPRISE'] as const;
export const TenantPlan = z.enum(TENANT_PLANS);
export type TenantPlan = z.infer<typeof TenantPlan>;

const TenantName = z.string().trim().min(1).max(200);
export const Email = z
  .email()
  .max(320)
  .transform((email) => email.toLowerCase());
export const PersonName = z.string().trim().min(1).max(200);

export const CreateTenantBody = z.strictObject({
  name: TenantName,
  plan: TenantPlan.default('FREE'),
  owner: z.strictObject({ email: Email, name: PersonName }).describe('The first owner member'),
});
export type CreateTenantBody = z.infer<typeof CreateTenantBody>;

export const UpdateTenantBody = z
  .strictObject({
    name: TenantName.optional(),
    status: TenantStatus.optional(),
    plan: TenantPlan.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: 'at least one field is required' });
export type UpdateTenantBody = z.infer<typeof UpdateTenantBody>;

export const TenantView = z.object({
  id: z.uuid(),
  name: z.string(),
  status: TenantStatus,
  plan: TenantPlan,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TenantView = z.infer<typeof TenantView>;

/** An empty query parameter (`?q=`, as a search form sends it) is the same as none. */
const blankAsAbsent = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** `GET /api/v1/admin/tenants`: newest first; the filters combine. */
export const TenantListQuery = PageQuery.extend({
  q: z
    .preprocess(blankAsAbsent, z.string().trim().max(200).optional())
    .describe("Search: part of the tenant's name (any case), or its exact id"),
  status: z.preprocess(blankAsAbsent, TenantStatus.optional()),
});
export type TenantListQuery = z.infer<typeof TenantListQuery>;

export const IdParams = z.strictObject({ id: z.uuid({ message: 'must be a UUID' }) });
export type IdParams = z.infer<typeof IdParams>;
