import { z } from 'zod';

/**
 * Settings the reports need from other services' configuration; the names and defaults are
 * theirs, so one environment serves every app.
 */
export const ReportingEnv = z.object({
  /** The gateways' Redis namespace: their breaker states are published under it. */
  GNOMON_REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]{1,40}$/)
    .default('gnomon'),
  /** Where the worker stores step outputs above 32 KiB (under tenants/{tenant}/runs/{run}/). */
  GNOMON_ARTIFACT_BUCKET: z.string().min(3).max(63).default('gnomon-artifacts'),
});
