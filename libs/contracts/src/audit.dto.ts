import { z } from 'zod';
import { ActorType } from './api-key.dto';
import { PageQuery } from './pagination';

const Instant = z.iso.datetime({ offset: true });

/** `GET /api/v1/audit-log`: newest first; the filters combine. */
export const AuditLogQuery = PageQuery.extend({
  action: z
    .string()
    .max(100)
    .optional()
    .describe('Only entries with this action, e.g. run.started'),
  targetId: z.string().max(100).optional().describe('Only entries about this object'),
  actorType: ActorType.optional().describe('Only entries by this kind of actor'),
  from: Instant.optional().describe('Only entries at or after this instant'),
  to: Instant.optional().describe('Only entries before this instant'),
}).refine((q) => !q.from || !q.to || new Date(q.from) < new Date(q.to), {
  message: 'from must be before to',
  path: ['from'],
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
