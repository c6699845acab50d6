import { z } from 'zod';
import { MemberRole } from './scopes';
import { Email, PersonName } from './tenant.dto';

export const AddMemberBody = z.strictObject({ email: Email, name: PersonName, role: MemberRole });
export type AddMemberBody = z.infer<typeof AddMemberBody>;

export const UpdateMemberBody = z
  .strictObject({ name: PersonName.optional(), role: MemberRole.optional() })
  .refine((body) => Object.keys(body).length > 0, { message: 'at least one field is required' });
export type UpdateMemberBody = z.infer<typeof UpdateMemberBody>;

export const MemberView = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: MemberRole,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type MemberView = z.infer<typeof MemberView>;
