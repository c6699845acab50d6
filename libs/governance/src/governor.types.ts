import type { BudgetCounterRef, BudgetPeriod, BudgetScope } from './budget-period';
import type { RateLimitHeaders } from './rate-limit-headers';

/** Requests and tokens per sliding window (one minute by default); absent = no limit. */
export interface RateLimitSettings {
  tenantRpm?: number;
  tenantTpm?: number;
  userRpm?: number;
}

export interface BudgetRule {
  scope: BudgetScope;
  scopeId: string;
  period: BudgetPeriod;
  limitMicros: number;
  /** Percent of the limit (0–100) whose crossing raises one alert per period; 0 = none. */
  softThresholdPct: number;
}

export interface AdmitRequest {
  tenantId: string;
  /** Informational: budgets carry their scope ids (an apiKey budget's scopeId is the key id). */
  apiKeyId?: string;
  userId: string;
  /** Prompt + worst-case output tokens, counted against TPM now and corrected at settle. */
  estimatedTokens: number;
  /** Worst-case cost, reserved against every budget until settle/release. */
  reserveMicros: number;
  limits: RateLimitSettings;
  budgets: readonly BudgetRule[];
  /**
   * Epoch ms, for tests and replays. Default: the Redis server's clock for the windows (one
   * clock for every gateway instance) and this host's clock for the budget period.
   */
  now?: number;
}

export type RateLimitName = 'tenant_rpm' | 'tenant_tpm' | 'user_rpm';

/** A budget whose settled spend crossed its soft threshold: reported once per period. */
export interface SoftAlert {
  scope: BudgetScope;
  scopeId: string;
  period: BudgetPeriod;
  /** ISO-8601 UTC. */
  periodStart: string;
  periodEnd: string;
  thresholdPct: number;
  limitMicros: number;
  spentMicros: number;
}

export interface Admitted {
  ok: true;
  /** Opaque; pass it to settle() or release() (from any instance). */
  reservationId: string;
  /** UUID unique to this admission (part of the reservation id). */
  eventId: string;
  softAlerts: SoftAlert[];
  /** Rate-limit headers for the response (empty when no rate limit is configured). */
  headers: RateLimitHeaders;
}

export interface RateLimited {
  ok: false;
  reason: 'rate_limit';
  limit: RateLimitName;
  retryAfterMs: number;
  headers: RateLimitHeaders;
}

export interface BudgetExceeded {
  ok: false;
  reason: 'budget';
  scope: BudgetScope;
  scopeId: string;
  period: BudgetPeriod;
  limitMicros: number;
  spentMicros: number;
  reservedMicros: number;
}

/**
 * Budget counters are gone (Redis restarted or was flushed) and could not be rebuilt: no
 * SpendSource was configured, or they vanished again right after the rebuild.
 */
export interface CountersMissing {
  ok: false;
  reason: 'counters_missing';
  missing: BudgetCounterRef[];
}

export type AdmitResult = Admitted | RateLimited | BudgetExceeded | CountersMissing;

export interface SettleInput {
  /** The real cost; moved from reserved to spent (the rest of the reservation is released). */
  actualMicros: number;
  /** The real token count; replaces the estimate in the tokens-per-minute window. */
  actualTokens: number;
  /**
   * Usage event appended to the stream. The fields `settlement` (outcome) and `reservationId`
   * are added by the governor and override fields of the same name.
   */
  event: Record<string, string>;
}

/**
 * settled/released: applied now. duplicate: this reservation was already settled; nothing
 * changed and nothing was appended. orphan: the reservation was unknown (expired, or lost with
 * the counters); the event was appended but no counter was touched.
 */
export type SettleOutcome = 'settled' | 'released' | 'duplicate' | 'orphan';

export interface SettleResult {
  outcome: SettleOutcome;
  /** Settled spend of each budget of the reservation afterwards; null = counter missing. */
  budgets: Array<BudgetCounterRef & { spentMicros: number | null }>;
}

/**
 * Budgets and rate limits as the gateway uses them: one decision before the call, one
 * settlement after it. `Governor` (Redis, shared by every instance) and `LocalGovernor` (this
 * process only, for single-instance mode) implement it with the same semantics.
 */
export interface UsageGovernor {
  /** Checks the rate limits and reserves the worst-case cost against every budget, atomically. */
  admit(request: AdmitRequest): Promise<AdmitResult>;
  /** Turns the reservation into the actual cost and records the usage event; idempotent. */
  settle(reservationId: string, input: SettleInput): Promise<SettleResult>;
  /** Gives a reservation back (the call cost nothing); records `event` if one is given. */
  release(reservationId: string, event?: Record<string, string>): Promise<SettleResult>;
}

/** Where lost counters are rebuilt from: the period's spend as Postgres knows it. */
export interface SpendSource {
  spentMicros(
    tenantId: string,
    scope: BudgetScope,
    scopeId: string,
    periodStart: Date,
    periodEnd: Date,
  ): Promise<number | bigint>;
}

export interface GovernorOptions {
  /** Rate-limit window. Default 60 000 (per minute). */
  windowMs?: number;
  /** A reservation not settled within this long stops holding budget. Default 15 min. */
  leaseMs?: number;
  /** How long an unsettled reservation can still be settled against its budgets. Default 1 h. */
  reservationTtlMs?: number;
  /** How long a settled reservation is remembered to make settle idempotent. Default 10 min. */
  settledTtlMs?: number;
  /** Budget counters expire this long after their period ends. Default 2 days. */
  periodGraceMs?: number;
  /** Default `gnomon:llm-events`. */
  eventStream?: string;
  /** Approximate MAXLEN of the stream. Default 1 000 000. */
  eventStreamMaxLen?: number;
  /** Key prefix. Default `gnomon`. */
  keyPrefix?: string;
}

/** A settled or released call's usage event, as the Redis governor appends it to the stream. */
export type UsageEventListener = (fields: Record<string, string>) => void;

export interface LocalGovernorOptions extends Pick<
  GovernorOptions,
  'windowMs' | 'leaseMs' | 'reservationTtlMs' | 'settledTtlMs' | 'periodGraceMs'
> {
  /**
   * Receives every usage event settle/release records (with `settlement` and `reservationId`),
   * synchronously, inside the settlement. It must not throw (enqueue and return).
   */
  onEvent?: UsageEventListener;
  /**
   * The wall clock for expiries (reservations, settled markers, idle logs and counters) and
   * for the windows when a request carries no `now`. Default `Date.now`.
   */
  clock?: () => number;
}
