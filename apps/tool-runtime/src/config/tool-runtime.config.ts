import { availableParallelism } from 'node:os';
import { AwsEnv } from '@gnomon/aws';
import { z } from 'zod';

const Int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const Cidrs = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'must be a CIDR such as 10.1.2.0/24'))
      .max(50),
  );

/** The tool runtime's environment, validated once at start-up. */
export const ToolRuntimeEnv = AwsEnv.extend({
  PORT: Int(0, 65535).default(8082),
  HOST: z.string().default('0.0.0.0'),
  GNOMON_DATA_DIR: z.string().optional(),
  GNOMON_SERVICE_TOKEN: z.string().min(16).optional(),
  /** Sandboxes running at once, across tenants; the rest wait in the queue. */
  TOOL_MAX_CONCURRENCY: Int(1, 256).default(Math.max(2, availableParallelism())),
  /** Sandboxes one tenant may run at once (fairness between tenants). */
  TOOL_MAX_CONCURRENCY_PER_TENANT: Int(1, 256).default(2),
  /** Executions that may wait for a slot; beyond it they are refused with 429. */
  TOOL_QUEUE_LIMIT: Int(0, 10_000).default(64),
  /** How long an execution may wait for a slot before it is refused with 429. */
  TOOL_QUEUE_TIMEOUT_MS: Int(0, 600_000).default(30_000),
  /** Where per-execution directories are created (default: the OS temp dir). */
  TOOL_WORK_DIR: z.string().optional(),
  /** `auto`: add the bubblewrap layer when the host supports it; `off`: never. */
  TOOL_BUBBLEWRAP: z.enum(['auto', 'off']).default('auto'),
  /** Operator exceptions to the SSRF rules (never cloud metadata), e.g. an internal API. */
  TOOL_EGRESS_ALLOW_CIDRS: Cidrs.default([]),
  GNOMON_ARTIFACT_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .default('gnomon-artifacts'),
  GNOMON_BODY_LIMIT_BYTES: Int(1024, 64 * 1024 * 1024).default(4 * 1024 * 1024),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ToolRuntimeEnv = z.infer<typeof ToolRuntimeEnv>;

export interface ToolRuntimeConfig {
  env: ToolRuntimeEnv;
  serviceToken: string;
}

export function parseToolRuntimeEnv(source: NodeJS.ProcessEnv): ToolRuntimeEnv {
  const result = ToolRuntimeEnv.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid tool-runtime configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
