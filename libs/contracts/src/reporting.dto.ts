import { z } from 'zod';
import { BudgetPeriod, ReportRange, withReportRangeRules } from './governance.dto';

/**
 * Reporting views of the admin dashboard: the tenant's and the platform's overview, provider
 * health, rate-limit hits and a step's full output. Money is micro-USD as a decimal string;
 * days are UTC dates `YYYY-MM-DD`; timestamps are ISO 8601.
 */

const Micros = z
  .string()
  .regex(/^\d+$/)
  .describe('micro-USD (1 USD = 1,000,000), as a decimal string');
const Instant = z.iso.datetime();
const Uuid = z
  .uuid()
  .transform((id) => id.toLowerCase())
  .describe('A UUID');

/** Minutes behind "now" that `requestsPerMinute` and `errorRate` describe. */
export const RECENT_WINDOW_MINUTES = 5;

const RecentFigures = {
  spendTodayMicros: Micros.describe('Cost of model calls since 00:00 UTC today'),
  spendMonthMicros: Micros.describe('Cost of model calls since the 1st of this month (UTC)'),
  requestsPerMinute: z
    .number()
    .min(0)
    .describe(`Model calls per minute, averaged over the last ${RECENT_WINDOW_MINUTES} minutes`),
  errorRate: z
    .number()
    .min(0)
    .max(1)
    .describe(
      `Share of the last ${RECENT_WINDOW_MINUTES} minutes' calls that failed (refusals ` +
        'included); 0 without calls',
    ),
};

// ---- GET /api/v1/overview (tenant) ----

export const OverviewBudgetView = z
  .object({
    period: BudgetPeriod,
    softLimitMicros: Micros.nullable().describe('Where the soft-threshold alert fires'),
    hardLimitMicros: Micros.nullable().describe('Calls are refused beyond this'),
    usedMicros: Micros.describe("Spent in the policy's current period"),
  })
  .describe('The tenant-wide budget closest to its hard limit; without one: MONTHLY, limits null');
export type OverviewBudgetView = z.infer<typeof OverviewBudgetView>;

export const TenantOverviewView = z.object({ ...RecentFigures, budget: OverviewBudgetView });
export type TenantOverviewView = z.infer<typeof TenantOverviewView>;

// ---- Provider breakers (as the gateways report them) ----

export const BREAKER_VIEW_STATES = ['closed', 'open', 'half-open', 'unknown'] as const;
export const BreakerViewState = z.enum(BREAKER_VIEW_STATES);
export type BreakerViewState = z.infer<typeof BreakerViewState>;

export const ProviderBreakerView = z.object({
  provider: z.string(),
  state: BreakerViewState.describe(
    'The worst state among the gateways that report it (open > half-open > closed; a ' +
      'provider cooling down after a 429 counts as open); unknown when no gateway reports it',
  ),
  coolingDownUntil: Instant.nullable().describe('Set while a gateway leaves it alone after a 429'),
  instances: z.number().int().describe('Gateway instances reporting this provider'),
});
export type ProviderBreakerView = z.infer<typeof ProviderBreakerView>;

// ---- GET /api/v1/admin/overview (platform admin) ----

export const TopTenantView = z.object({
  tenantId: z.uuid(),
  name: z.string(),
  spendMonthMicros: Micros,
});
export type TopTenantView = z.infer<typeof TopTenantView>;

/** Tenants the platform overview ranks by this month's spend. */
export const TOP_TENANTS = 10;

export const PlatformOverviewView = z.object({
  ...RecentFigures,
  providers: z.array(ProviderBreakerView),
  topTenants: z
    .array(TopTenantView)
    .describe(`The ${TOP_TENANTS} tenants with the highest spend this month, highest first`),
});
export type PlatformOverviewView = z.infer<typeof PlatformOverviewView>;

// ---- GET /api/v1/admin/providers (platform admin) ----

export const PROVIDER_WINDOWS = ['1h', '24h'] as const;
export const ProviderWindow = z.enum(PROVIDER_WINDOWS);
export type ProviderWindow = z.infer<typeof ProviderWindow>;

export const ProviderHealthQuery = z.strictObject({
  window: ProviderWindow.default('1h').describe('How far back the figures reach'),
});
export type ProviderHealthQuery = z.infer<typeof ProviderHealthQuery>;

export const ProviderHealthRow = z.object({
  provider: z.string(),
  model: z.string().describe("The provider's model that served the calls"),
  state: BreakerViewState.describe("The provider's breaker (see ProviderBreakerView)"),
  calls: z.number().int(),
  failedCalls: z.number().int(),
  errorRate: z.number().min(0).max(1),
  p50Ms: z.number().nullable().describe('Median latency of the successful calls'),
  p95Ms: z.number().nullable().describe('95th-percentile latency of the successful calls'),
});
export type ProviderHealthRow = z.infer<typeof ProviderHealthRow>;

export const ProviderHealthView = z.object({
  window: ProviderWindow,
  from: Instant,
  to: Instant,
  items: z.array(ProviderHealthRow),
});
export type ProviderHealthView = z.infer<typeof ProviderHealthView>;

// ---- GET /api/v1/usage/rate-limits ----

export const RateLimitHitsQuery = withReportRangeRules(z.strictObject({ ...ReportRange }));
export type RateLimitHitsQuery = z.infer<typeof RateLimitHitsQuery>;

export const RateLimitHitsView = z.object({
  from: Instant,
  to: Instant,
  items: z
    .array(z.object({ day: z.iso.date(), hits: z.number().int() }))
    .describe('Every UTC day the range touches, in order (0 on days without a refusal)'),
});
export type RateLimitHitsView = z.infer<typeof RateLimitHitsView>;

// ---- GET /api/v1/runs/{id}/steps/{stepId}/output ----

export const StepOutputParams = z.strictObject({
  id: Uuid.describe("The run's id"),
  stepId: Uuid.describe("The step's id (StepView.id)"),
});
export type StepOutputParams = z.infer<typeof StepOutputParams>;
