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

/** A one-time link that lets a member set their password; the token is shown only once. */
export const MemberLinkView = z.object({
  token: z.string().describe('Shown only in this response'),
  url: z.string().describe('Dashboard path that accepts the link, e.g. /admin/accept?token=…'),
  expiresAt: z.iso.datetime(),
});
export type MemberLinkView = z.infer<typeof MemberLinkView>;

export const MemberWithInvitation = MemberView.extend({ invitation: MemberLinkView });
export type MemberWithInvitation = z.infer<typeof MemberWithInvitation>;
