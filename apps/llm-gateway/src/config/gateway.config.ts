import { z } from 'zod';

const Flag = z.enum(['0', '1', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/** A custom OpenAI-compatible upstream (e.g. a self-hosted model), configured as JSON. */
const CustomProvider = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/),
  baseURL: z.url(),
  apiKeyEnv: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/)
    .optional(),
  models: z
    .array(
      z.strictObject({
        model: z.string().min(1).max(150),
        contextWindow: z.number().int().positive().default(128_000),
        maxOutputTokens: z.number().int().positive().default(4_096),
        inputPerMillion: z.number().int().min(0).default(0),
        outputPerMillion: z.number().int().min(0).default(0),
        cachedInputPerMillion: z.number().int().min(0).default(0),
      }),
    )
    .min(1),
});
export type CustomProvider = z.infer<typeof CustomProvider>;

const CustomProviders = z
  .string()
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(CustomProvider).max(20));

/** The gateway's environment, validated once at start-up. */
export const GatewayEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.url({
    message: 'DATABASE_URL must be a postgres:// URL (npm start provides one)',
  }),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Budgets, rate limits, idempotency, the credential cache and the usage stream, shared by
   * every instance. Unset (or blank): single-instance mode, all of it in this process.
   */
  REDIS_URL: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.url().optional(),
  ),
  GNOMON_DATA_DIR: z.string().optional(),
  GNOMON_SERVICE_TOKEN: z.string().min(16).optional(),
  GNOMON_API_KEY_PEPPER: z.string().min(16).optional(),
  GNOMON_CURSOR_SECRET: z.string().min(16).optional(),
  GNOMON_ENCRYPTION_KEY: z.string().min(16).optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url().optional(),
  GEMINI_API_KEY: z.string().min(1).optional(),
  GEMINI_BASE_URL: z.url().optional(),
  GNOMON_SIMULATED_PROVIDER: Flag.default(false),
  GNOMON_SIMULATED_LATENCY_MS: z.coerce.number().int().min(0).max(60_000).default(0),
  GNOMON_OPENAI_COMPATIBLE_PROVIDERS: CustomProviders.optional(),
  GNOMON_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(120_000),
  GNOMON_MAX_ATTEMPTS_PER_PROVIDER: z.coerce.number().int().min(1).max(5).default(2),
  GNOMON_RETRY_BASE_MS: z.coerce.number().int().min(0).max(10_000).default(200),
  GNOMON_RETRY_MAX_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  GNOMON_BREAKER_ERROR_PERCENT: z.coerce.number().int().min(1).max(100).default(50),
  GNOMON_BREAKER_VOLUME: z.coerce.number().int().min(1).max(1_000).default(5),
  GNOMON_BREAKER_RESET_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /**
   * With Redis: how often this instance publishes its breaker states for the control plane
   * (also on every transition); a report counts for three intervals.
   */
  GNOMON_BREAKER_REPORT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  GNOMON_POLICY_TTL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  GNOMON_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(20 * 1024 * 1024),
  /** With Redis: whether this instance also consumes the usage stream (single-instance mode always writes). */
  GNOMON_EVENT_CONSUMER: Flag.default(true),
  /** Namespace of every Redis key and stream the gateway uses (one per deployment). */
  GNOMON_REDIS_PREFIX: z
    .string()
    .regex(/^[a-z0-9:_-]{1,40}$/)
    .default('gnomon'),
  GNOMON_TRUST_PROXY: Flag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;

export interface GatewaySecrets {
  serviceToken: string;
  apiKeyPepper: string;
  encryptionKey: string;
}

export interface GatewayConfig {
  env: GatewayEnv;
  secrets: GatewaySecrets;
}

export function parseGatewayEnv(source: NodeJS.ProcessEnv): GatewayEnv {
  const result = GatewayEnv.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid llm-gateway configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
