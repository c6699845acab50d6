import { z } from 'zod';
import { ActorType } from './api-key.dto';
import { PageQuery } from './pagination';

export const AuditLogQuery = PageQuery.extend({
  action: z.string().max(100).optional(),
  targetId: z.string().max(100).optional(),
});
export type AuditLogQuery = z.infer<typeof AuditLogQuery>;

export const AuditLogView = z.object({
  id: z.uuid(),
  actor: z.object({ type: ActorType, id: z.string() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string().nullable() }),
  requestId: z.string(),
  metadata: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
});
export type AuditLogView = z.infer<typeof AuditLogView>;

export const PrincipalView = z.object({
  type: ActorType,
  id: z.string(),
  tenantId: z.uuid().nullable(),
  memberId: z.uuid().nullable(),
  scopes: z.array(z.string()),
});
export type PrincipalView = z.infer<typeof PrincipalView>;
