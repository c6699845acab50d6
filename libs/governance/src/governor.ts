import { randomBytes, randomUUID } from 'node:crypto';
import { budgetPeriodAt, type BudgetCounterRef } from './budget-period';
import {
  decodeReservationId,
  encodeReservationId,
  GovernanceKeys,
  type ReservationRef,
} from './governance-keys';
import { GovernanceUnavailableError } from './governance.errors';
import { nonNegativeInt, positive, softAlert, validateAdmit } from './governor-validation';
import { periodSpend, singleFlight } from './period-spend';
import type {
  AdmitRequest,
  AdmitResult,
  GovernorOptions,
  RateLimitName,
  SettleInput,
  SettleOutcome,
  SettleResult,
  SoftAlert,
  SpendSource,
  UsageGovernor,
} from './governor.types';
import { ADMIT_LUA } from './lua/admit.lua';
import { SEED_LUA } from './lua/seed.lua';
import { SETTLE_LUA } from './lua/settle.lua';
import { LuaScript, type GovernanceRedis } from './lua-script';
import { rateLimitHeaders, type RateLimitFigures } from './rate-limit-headers';

const ADMIT = new LuaScript('admit', ADMIT_LUA);
const SETTLE = new LuaScript('settle', SETTLE_LUA);
const SEED = new LuaScript('seed', SEED_LUA);

const RATE_LIMITS: readonly RateLimitName[] = ['tenant_rpm', 'tenant_tpm', 'user_rpm'];
const RESERVED_EVENT_FIELDS = new Set(['settlement', 'reservationId']);

/**
 * Budgets and rate limits on the gateway's hot path: one Redis script before the call
 * (admit) and one after it (settle or release). Fails closed: when Redis does not answer,
 * every method throws GovernanceUnavailableError.
 *
 * Rate limits are sliding-window logs (sorted sets of the last window's requests, scored by
 * time), exact at any instant and shared by every instance. Budgets are counters per scope
 * and UTC period: settled spend plus open reservations, each reservation leased so a crashed
 * caller's reservation stops holding budget after `leaseMs`.
 */
export class Governor implements UsageGovernor {
  private readonly keys: GovernanceKeys;
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly reservationTtlMs: number;
  private readonly settledTtlMs: number;
  private readonly periodGraceMs: number;
  private readonly eventStream: string;
  private readonly eventStreamMaxLen: number;
  /** Rebuilds in flight in this process, by counter key (one Postgres query per counter). */
  private readonly rebuilding = new Map<string, Promise<void>>();

  /**
   * @param spendSource rebuilds lost budget counters inside admit(); without one, admit
   *   reports `counters_missing` and the caller seeds them.
   */
  constructor(
    private readonly redis: GovernanceRedis,
    private readonly spendSource: SpendSource | null = null,
    options: GovernorOptions = {},
  ) {
    this.keys = new GovernanceKeys(options.keyPrefix ?? 'gnomon');
    this.windowMs = positive('windowMs', options.windowMs ?? 60_000);
    this.leaseMs = positive('leaseMs', options.leaseMs ?? 15 * 60_000);
    this.reservationTtlMs = positive('reservationTtlMs', options.reservationTtlMs ?? 60 * 60_000);
    this.settledTtlMs = positive('settledTtlMs', options.settledTtlMs ?? 10 * 60_000);
    this.periodGraceMs = positive('periodGraceMs', options.periodGraceMs ?? 2 * 86_400_000);
    this.eventStream = options.eventStream ?? 'gnomon:llm-events';
    this.eventStreamMaxLen = positive('eventStreamMaxLen', options.eventStreamMaxLen ?? 1_000_000);
  }

  /**
   * Checks the rate limits and reserves `reserveMicros` against every budget, atomically (one
   * round trip). Lost budget counters are rebuilt from the SpendSource and the admission is
   * retried once.
   */
  async admit(request: AdmitRequest): Promise<AdmitResult> {
    validateAdmit(request);
    const now = request.now ?? Date.now();
    const refs = request.budgets.map((b) => ({
      scope: b.scope,
      scopeId: b.scopeId,
      period: b.period,
      ...budgetPeriodAt(b.period, now),
    }));
    const first = await this.admitOnce(request, refs);
    if (first.ok || first.reason !== 'counters_missing' || !this.spendSource) return first;
    await this.rebuild(request.tenantId, first.missing, this.spendSource, now);
    return this.admitOnce(request, refs);
  }

  /** Turns the reservation into the actual cost and appends the usage event; idempotent. */
  async settle(reservationId: string, input: SettleInput): Promise<SettleResult> {
    nonNegativeInt('actualMicros', input.actualMicros);
    nonNegativeInt('actualTokens', input.actualTokens);
    return this.close(
      reservationId,
      'settled',
      input.actualMicros,
      input.actualTokens,
      input.event,
    );
  }

  /**
   * Releases a reservation whose call cost nothing (it failed before anything billable): the
   * budgets get the reservation back and the token window loses the estimate. The request
   * still counts against the request limits. Appends `event` if one is given.
   */
  async release(reservationId: string, event?: Record<string, string>): Promise<SettleResult> {
    return this.close(reservationId, 'released', 0, 0, event);
  }

  /**
   * Recreates a lost budget counter with the period's spend; only the first of concurrent
   * seeders wins. Returns whether this call created it. admit() calls it by itself when it
   * has a SpendSource.
   */
  async seed(
    tenantId: string,
    ref: BudgetCounterRef,
    spentMicros: number,
    now: number = Date.now(),
  ): Promise<boolean> {
    nonNegativeInt('spentMicros', spentMicros);
    const ttlMs = Math.max(60_000, ref.periodEnd + this.periodGraceMs - now);
    const generation = randomBytes(6).toString('hex');
    const reply = await SEED.run(
      this.redis,
      [this.keys.budget(tenantId, ref), this.keys.leases(tenantId, ref)],
      [spentMicros, generation, ttlMs],
    );
    return Number(reply) === 1;
  }

  private async admitOnce(request: AdmitRequest, refs: BudgetCounterRef[]): Promise<AdmitResult> {
    const { tenantId, limits } = request;
    const eventId = randomUUID();
    const keys = [
      this.keys.reservation(tenantId, eventId),
      this.keys.tenantLog(tenantId),
      this.keys.tenantTokens(tenantId),
      this.keys.userLog(tenantId, request.userId),
      ...refs.flatMap((r) => [this.keys.budget(tenantId, r), this.keys.leases(tenantId, r)]),
    ];
    const args: Array<string | number> = [
      request.now ?? '',
      this.windowMs,
      limits.tenantRpm ?? -1,
      limits.tenantTpm ?? -1,
      limits.userRpm ?? -1,
      request.estimatedTokens,
      request.reserveMicros,
      this.reservationTtlMs,
      this.leaseMs,
      eventId,
      refs.length,
      ...request.budgets.flatMap((b) => [b.limitMicros, b.softThresholdPct]),
    ];
    const reply = replyArray(await ADMIT.run(this.redis, keys, args));
    const kind = String(reply[0]);
    const at = (i: number) => Number(reply[i]);
    const figures = (from: number): RateLimitFigures => ({
      requestLimit: at(from),
      requestsLeft: at(from + 1),
      requestsResetMs: at(from + 2),
      tokenLimit: at(from + 3),
      tokensLeft: at(from + 4),
      tokensResetMs: at(from + 5),
    });

    if (kind === 'ok') {
      const softAlerts: SoftAlert[] = [];
      for (let i = 7; i + 1 < reply.length; i += 2) {
        softAlerts.push(softAlert(refs[at(i) - 1], request.budgets[at(i) - 1], at(i + 1)));
      }
      const reservationId = encodeReservationId({ eventId, tenantId, budgets: refs });
      return {
        ok: true,
        reservationId,
        eventId,
        softAlerts,
        headers: rateLimitHeaders(figures(1)),
      };
    }
    if (kind === 'rate_limit') {
      const limit = RATE_LIMITS.find((name) => name === String(reply[1]));
      if (!limit) throw unexpected(reply);
      const retryAfterMs = at(2);
      return {
        ok: false,
        reason: 'rate_limit',
        limit,
        retryAfterMs,
        headers: rateLimitHeaders(figures(3), retryAfterMs),
      };
    }
    if (kind === 'budget') {
      const ref = refs[at(1) - 1];
      if (!ref) throw unexpected(reply);
      return {
        ok: false,
        reason: 'budget',
        scope: ref.scope,
        scopeId: ref.scopeId,
        period: ref.period,
        limitMicros: at(2),
        spentMicros: at(3),
        reservedMicros: at(4),
      };
    }
    if (kind === 'missing') {
      const missing: Array<BudgetCounterRef | undefined> = reply
        .slice(1)
        .map((i) => refs[Number(i) - 1]);
      const known = missing.filter((ref): ref is BudgetCounterRef => ref !== undefined);
      if (known.length !== missing.length) throw unexpected(reply);
      return { ok: false, reason: 'counters_missing', missing: known };
    }
    throw unexpected(reply);
  }

  private async rebuild(
    tenantId: string,
    missing: BudgetCounterRef[],
    source: SpendSource,
    now: number,
  ): Promise<void> {
    await Promise.all(
      missing.map((ref) =>
        singleFlight(this.rebuilding, this.keys.budget(tenantId, ref), async () =>
          this.seed(tenantId, ref, await periodSpend(source, tenantId, ref), now).then(
            () => undefined,
          ),
        ),
      ),
    );
  }

  private async close(
    reservationId: string,
    outcome: Extract<SettleOutcome, 'settled' | 'released'>,
    actualMicros: number,
    actualTokens: number,
    event: Record<string, string> | undefined,
  ): Promise<SettleResult> {
    const ref: ReservationRef = decodeReservationId(reservationId);
    const { tenantId, eventId, budgets } = ref;
    const keys = [
      this.keys.reservation(tenantId, eventId),
      this.keys.tenantLog(tenantId),
      this.keys.tenantTokens(tenantId),
      this.eventStream,
      ...budgets.flatMap((r) => [this.keys.budget(tenantId, r), this.keys.leases(tenantId, r)]),
    ];
    const fields: string[] = [];
    if (event) {
      for (const [name, value] of Object.entries(event)) {
        if (!RESERVED_EVENT_FIELDS.has(name)) fields.push(name, value);
      }
      fields.push('reservationId', reservationId);
    }
    const args = [
      eventId,
      actualMicros,
      actualTokens,
      outcome,
      this.settledTtlMs,
      this.eventStreamMaxLen,
      budgets.length,
      ...fields,
    ];
    const reply = replyArray(await SETTLE.run(this.redis, keys, args));
    const result = String(reply[0]);
    if (!isSettleOutcome(result) || reply.length !== budgets.length + 1) throw unexpected(reply);
    return {
      outcome: result,
      budgets: budgets.map((b, i) => {
        const spent = Number(reply[i + 1]);
        return { ...b, spentMicros: spent < 0 ? null : spent };
      }),
    };
  }
}

function isSettleOutcome(value: string): value is SettleOutcome {
  return ['settled', 'released', 'duplicate', 'orphan'].includes(value);
}

function replyArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply) || reply.length === 0) throw unexpected(reply);
  return reply as unknown[];
}

function unexpected(reply: unknown): GovernanceUnavailableError {
  return new GovernanceUnavailableError(`unexpected governance script reply: ${String(reply)}`);
}
