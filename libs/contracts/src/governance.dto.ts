import { z } from 'zod';

/** `provider/model`, e.g. `openai/gpt-4o-mini` or `local-llama/llama-3.1-8b`. */
export const ModelRef = z
  .string()
  .max(200)
  .regex(/^[a-z0-9][a-z0-9-]{0,39}\/[A-Za-z0-9._:-]{1,150}$/, 'must be "provider/model"');
export type ModelRef = z.infer<typeof ModelRef>;

export const RouteAlias = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'alias: lower-case letters, digits, . _ -');

export const LlmRoute = z.strictObject({
  chain: z
    .array(ModelRef)
    .min(1)
    .max(6)
    .refine((chain) => new Set(chain).size === chain.length, {
      message: 'a model appears twice in the chain',
    })
    .describe('Tried in order: the next one when the previous fails before the first token'),
  requestTimeoutMs: z.number().int().min(1_000).max(600_000).optional(),
  firstTokenTimeoutMs: z.number().int().min(100).max(300_000).optional(),
});
export type LlmRoute = z.infer<typeof LlmRoute>;

/** A tenant's model routing, managed on the control plane and read by the gateway. */
export const LlmRouteConfig = z.strictObject({
  allowedModels: z
    .array(ModelRef)
    .max(500)
    .nullable()
    .default(null)
    .describe(
      'Models this tenant may call (directly or through routes); null = every model offered',
    ),
  routes: z
    .record(RouteAlias, LlmRoute)
    .default({})
    .refine((routes) => Object.keys(routes).length <= 50, {
      message: 'at most 50 routes',
    }),
});
export type LlmRouteConfig = z.infer<typeof LlmRouteConfig>;

export const LlmRouteConfigView = LlmRouteConfig.extend({
  version: z.number().int(),
  updatedAt: z.iso.datetime().nullable(),
});
export type LlmRouteConfigView = z.infer<typeof LlmRouteConfigView>;

const PerMinute = z.number().int().min(1).max(100_000_000).nullable();

/** Rate limits of a tenant; null = unlimited. */
export const RateLimits = z.strictObject({
  tenantRequestsPerMinute: PerMinute.default(null),
  tenantTokensPerMinute: PerMinute.default(null),
  userRequestsPerMinute: PerMinute.default(null),
});
export type RateLimits = z.infer<typeof RateLimits>;

export const BUDGET_PERIODS = ['DAILY', 'MONTHLY'] as const;
export const BudgetPeriod = z.enum(BUDGET_PERIODS);

const Micros = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d{1,18}$/)])
  .transform((value) => BigInt(value));

export const BudgetPolicyInput = z.strictObject({
  period: BudgetPeriod,
  limitMicros: Micros.describe('Hard limit in micro-USD (1 USD = 1,000,000)'),
  softThresholdPct: z.number().int().min(1).max(100).default(80),
  apiKeyId: z
    .uuid()
    .nullable()
    .default(null)
    .describe('Limit one API key instead of the whole tenant'),
});
export type BudgetPolicyInput = z.infer<typeof BudgetPolicyInput>;

/** PUT /budget replaces the tenant's budget policies with this set. */
export const PutBudgetBody = z
  .strictObject({ policies: z.array(BudgetPolicyInput).max(100) })
  .refine(
    (body) =>
      new Set(body.policies.map((p) => `${p.apiKeyId ?? 'tenant'}:${p.period}`)).size ===
      body.policies.length,
    { message: 'one policy per scope and period' },
  );
export type PutBudgetBody = z.infer<typeof PutBudgetBody>;

export const BudgetPolicyView = z.object({
  period: BudgetPeriod,
  scope: z.enum(['tenant', 'apiKey']),
  apiKeyId: z.uuid().nullable(),
  limitMicros: z.string().describe('micro-USD, as a decimal string'),
  softThresholdPct: z.number().int(),
  periodStart: z.iso.datetime(),
  spentMicros: z.string(),
});
export type BudgetPolicyView = z.infer<typeof BudgetPolicyView>;

export const USAGE_GROUPS = ['day', 'model', 'provider', 'apiKey'] as const;

/** The longest range one report may cover (bounded work per request). */
export const MAX_REPORT_DAYS = 366;

/** A report's [from, to): ISO 8601 timestamps with an offset. */
export const ReportRange = {
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
};

/** The rules of every report range: `from` before `to`, at most 366 days apart. */
export function withReportRangeRules<T extends z.ZodType<{ from: string; to: string }>>(
  schema: T,
): T {
  return schema
    .refine((q) => new Date(q.from) < new Date(q.to), {
      message: 'from must be before to',
      path: ['from'],
    })
    .refine(
      (q) => new Date(q.to).getTime() - new Date(q.from).getTime() <= MAX_REPORT_DAYS * 86_400_000,
      { message: `at most ${MAX_REPORT_DAYS} days per query`, path: ['to'] },
    );
}

export const UsageQuery = withReportRangeRules(
  z.strictObject({ ...ReportRange, groupBy: z.enum(USAGE_GROUPS).default('day') }),
);
export type UsageQuery = z.infer<typeof UsageQuery>;

export const UsageRow = z.object({
  key: z.string().nullable(),
  calls: z.number().int(),
  failedCalls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedTokens: z.number().int(),
  costMicros: z.string(),
});
export type UsageRow = z.infer<typeof UsageRow>;

/** A tenant's own provider key (bring your own key). The key itself is never returned. */
export const CreateProviderCredentialBody = z.strictObject({
  provider: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'provider: lower-case letters, digits and -'),
  label: z.string().trim().min(1).max(100).default('default'),
  apiKey: z.string().min(8).max(4_096),
  baseUrl: z.url().max(2_000).optional().describe('For OpenAI-compatible endpoints of your own'),
});
export type CreateProviderCredentialBody = z.infer<typeof CreateProviderCredentialBody>;

export const ProviderCredentialView = z.object({
  id: z.uuid(),
  provider: z.string(),
  label: z.string(),
  baseUrl: z.string().nullable(),
  lastFour: z.string(),
  createdAt: z.iso.datetime(),
});
export type ProviderCredentialView = z.infer<typeof ProviderCredentialView>;
