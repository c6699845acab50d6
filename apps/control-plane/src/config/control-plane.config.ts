import { parseSecret } from '@gnomon/auth';
import { AwsEnv } from '@gnomon/aws';
import { RunEventStreamEnv } from '../runs/run-events.stream';
import { checkOidcEnv, SessionEnv } from '../sessions/session.env';
import { ReportingEnv } from '../overview/reporting.env';
import { z } from 'zod';

const Bool = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** The control plane's environment, validated once at start-up. */
export const ControlPlaneEnv = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.url({
      message: 'DATABASE_URL must be a postgres:// URL (npm start provides one)',
    }),
    DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
    REDIS_URL: z.url().optional(),
    GNOMON_DATA_DIR: z.string().optional(),
    GNOMON_ADMIN_KEY: z
      .string()
      .min(16, 'GNOMON_ADMIN_KEY must be at least 16 characters')
      .max(512)
      .refine((key) => !/^(gnm|gnp)_/.test(key) || parseSecret(key) !== null, {
        message: 'GNOMON_ADMIN_KEY looks like a Gnomon key but its checksum is wrong (a typo?)',
      })
      .optional(),
    GNOMON_SERVICE_TOKEN: z.string().min(16).optional(),
    GNOMON_API_KEY_PEPPER: z.string().min(16).optional(),
    GNOMON_CURSOR_SECRET: z.string().min(16).optional(),
    GNOMON_ENCRYPTION_KEY: z.string().min(16).optional(),
    GNOMON_BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(50 * 1024 * 1024)
      .default(1024 * 1024),
    GNOMON_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
    GNOMON_AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    GNOMON_CURSOR_TTL_SECONDS: z.coerce.number().int().min(60).default(3600),
    GNOMON_TRUST_PROXY: Bool.default(false),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** The run state machine (with AWS_ENDPOINT_URL_SFN: the local engine's). Unset: runs cannot start. */
    GNOMON_STATE_MACHINE_ARN: z.string().min(1).optional(),
    /** Steps one execution runs before it continues as a new one (history stays far below 25,000 events). */
    GNOMON_RUN_STEPS_PER_EXECUTION: z.coerce.number().int().min(1).max(2_000).default(1_000),
    /** The admin dashboard's build, served at /admin (default: the repository's dist/admin-dashboard). */
    GNOMON_DASHBOARD_DIR: z.string().min(1).optional(),
  })
  .extend(AwsEnv.shape)
  .extend(RunEventStreamEnv.shape)
  .extend(SessionEnv.shape)
  .extend(ReportingEnv.shape);
export type ControlPlaneEnv = z.infer<typeof ControlPlaneEnv>;

/** Secrets every instance must share; from the environment or the local data dir. */
export interface PlatformSecrets {
  serviceToken: string;
  apiKeyPepper: string;
  cursorSecret: string;
  encryptionKey: string;
}

export interface ControlPlaneConfig {
  env: ControlPlaneEnv;
  secrets: PlatformSecrets;
}

export function parseControlPlaneEnv(source: NodeJS.ProcessEnv): ControlPlaneEnv {
  const result = ControlPlaneEnv.superRefine(checkOidcEnv).safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid control-plane configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
