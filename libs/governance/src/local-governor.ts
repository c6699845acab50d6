import { randomUUID } from 'node:crypto';
import { budgetPeriodAt, type BudgetCounterRef } from './budget-period';
import { decodeReservationId, encodeReservationId } from './governance-keys';
import { nonNegativeInt, positive, softAlert, validateAdmit } from './governor-validation';
import { periodSpend, singleFlight } from './period-spend';
import type {
  AdmitRequest,
  AdmitResult,
  LocalGovernorOptions,
  RateLimitName,
  SettleInput,
  SettleOutcome,
  SettleResult,
  SoftAlert,
  SpendSource,
  UsageEventListener,
  UsageGovernor,
} from './governor.types';
import { rateLimitHeaders, type RateLimitFigures } from './rate-limit-headers';

const RESERVED_EVENT_FIELDS = new Set(['settlement', 'reservationId']);
/** Expired reservations, idle logs and past counters are swept at most this often. */
const SWEEP_EVERY_MS = 10_000;

/** One admitted request in a sliding-window log. `tokens` is 0 in per-user logs. */
interface LogEntry {
  id: string;
  at: number;
  tokens: number;
}

/** A sliding-window log: entries in time order, with their token total kept beside them. */
interface WindowLog {
  entries: LogEntry[];
  byId: Map<string, LogEntry>;
  tokens: number;
  /** Wall-clock ms of the last recorded request (the log is dropped when idle for a window). */
  touchedAt: number;
}

/** A budget counter of one scope and period: settled spend plus leased reservations. */
interface BudgetCounter {
  spent: number;
  reserved: number;
  alerted: boolean;
  /** Open reservations by event id: their micros and when their lease runs out (window clock). */
  leases: Map<string, { micros: number; expiresAt: number }>;
  /** Wall-clock ms after which the counter is forgotten (its period is long over). */
  expiresAt: number;
}

type Reservation =
  | { state: 'reserved'; est: number; micros: number; tenantLog: boolean; expiresAt: number }
  | { state: 'done'; expiresAt: number };

/**
 * Budgets and rate limits for a single gateway process (single-instance mode, no Redis): the
 * same contract and semantics as the Redis `Governor` — sliding-window RPM/TPM/user RPM with
 * the same `x-ratelimit-*` figures, leased budget reservations, soft alerts once per period,
 * at-most-once settlement — kept in this process's memory.
 *
 * Atomic by construction: every decision and every settlement runs synchronously, with no
 * `await` between reading and writing the state, so no other call can interleave (Node runs
 * one piece of JavaScript at a time). The only await is the first use of a budget period,
 * whose counter starts from the SpendSource (what Postgres knows), as the Redis governor's
 * rebuild does; concurrent first uses share one query.
 *
 * Settled and released calls hand their usage event (the fields the Redis governor appends to
 * its stream, with `settlement` and `reservationId`) to `onEvent`.
 *
 * The state is lost with the process and is not shared: run one instance only, or use Redis.
 */
export class LocalGovernor implements UsageGovernor {
  private readonly windowMs: number;
  private readonly leaseMs: number;
  private readonly reservationTtlMs: number;
  private readonly settledTtlMs: number;
  private readonly periodGraceMs: number;
  private readonly onEvent: UsageEventListener;
  private readonly clock: () => number;

  private readonly tenantLogs = new Map<string, WindowLog>();
  private readonly userLogs = new Map<string, WindowLog>();
  private readonly counters = new Map<string, BudgetCounter>();
  private readonly reservations = new Map<string, Reservation>();
  /** First uses of a counter in flight, by counter key (one SpendSource query per counter). */
  private readonly seeding = new Map<string, Promise<void>>();
  private lastSweep = 0;

  /**
   * @param spendSource the spend of a period so far, for a counter's first use; without one,
   *   counters start at zero (or at what seed() gives them).
   */
  constructor(
    private readonly spendSource: SpendSource | null = null,
    options: LocalGovernorOptions = {},
  ) {
    this.windowMs = positive('windowMs', options.windowMs ?? 60_000);
    this.leaseMs = positive('leaseMs', options.leaseMs ?? 15 * 60_000);
    this.reservationTtlMs = positive('reservationTtlMs', options.reservationTtlMs ?? 60 * 60_000);
    this.settledTtlMs = positive('settledTtlMs', options.settledTtlMs ?? 10 * 60_000);
    this.periodGraceMs = positive('periodGraceMs', options.periodGraceMs ?? 2 * 86_400_000);
    this.onEvent = options.onEvent ?? (() => undefined);
    this.clock = options.clock ?? Date.now;
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    validateAdmit(request);
    this.sweep(this.clock());
    const periodNow = request.now ?? this.clock();
    const refs = request.budgets.map((b) => ({
      scope: b.scope,
      scopeId: b.scopeId,
      period: b.period,
      ...budgetPeriodAt(b.period, periodNow),
    }));
    const missing = refs.filter((ref) => !this.counters.has(counterKey(request.tenantId, ref)));
    if (missing.length > 0) await this.startCounters(request.tenantId, missing, periodNow);
    return this.decide(request, refs);
  }

  settle(reservationId: string, input: SettleInput): Promise<SettleResult> {
    return immediately(() => {
      nonNegativeInt('actualMicros', input.actualMicros);
      nonNegativeInt('actualTokens', input.actualTokens);
      return this.close(
        reservationId,
        'settled',
        input.actualMicros,
        input.actualTokens,
        input.event,
      );
    });
  }

  /** As Governor.release: the budgets get the reservation back, the token window the estimate. */
  release(reservationId: string, event?: Record<string, string>): Promise<SettleResult> {
    return immediately(() => this.close(reservationId, 'released', 0, 0, event));
  }

  /**
   * Sets a counter that does not exist yet (as Governor.seed: the first seeder wins). Returns
   * whether this call created it.
   */
  seed(
    tenantId: string,
    ref: BudgetCounterRef,
    spentMicros: number,
    at: number = this.clock(),
  ): Promise<boolean> {
    return immediately(() => {
      nonNegativeInt('spentMicros', spentMicros);
      return this.createCounter(tenantId, ref, spentMicros, at);
    });
  }

  /** A budget counter's current state (null: not started); for tests and diagnostics. */
  budgetState(
    tenantId: string,
    ref: Pick<BudgetCounterRef, 'scope' | 'scopeId' | 'periodKey'>,
  ): { spentMicros: number; reservedMicros: number } | null {
    const counter = this.counters.get(counterKey(tenantId, ref));
    return counter ? { spentMicros: counter.spent, reservedMicros: counter.reserved } : null;
  }

  // ---------------------------------------------------------------------------------------------
  // The critical sections: synchronous from the first read to the last write.

  private decide(request: AdmitRequest, refs: BudgetCounterRef[]): AdmitResult {
    const wall = this.clock();
    const { tenantId, limits } = request;
    const now = request.now ?? wall;
    const window = this.windowMs;
    const cutoff = now - window;
    const tenantRpm = limits.tenantRpm ?? -1;
    const tenantTpm = limits.tenantTpm ?? -1;
    const userRpm = limits.userRpm ?? -1;
    const est = request.estimatedTokens;
    const micros = request.reserveMicros;

    // 1. Every counter must exist (they were started above; one could only have been swept).
    const counters = refs.map((ref) => this.counters.get(counterKey(tenantId, ref)));
    const missing = refs.filter((_, i) => !counters[i]);
    if (missing.length > 0) return { ok: false, reason: 'counters_missing', missing };

    // 2. Sliding-window logs.
    const usesTenantLog = tenantRpm >= 0 || tenantTpm >= 0;
    const tenantLog = usesTenantLog ? this.log(this.tenantLogs, tenantId, wall) : null;
    const userKey = `${tenantId}\u0000${request.userId}`;
    const userLog = userRpm >= 0 ? this.log(this.userLogs, userKey, wall) : null;
    let tCount = 0;
    let tTokens = 0;
    let uCount = 0;
    if (tenantLog) {
      expireEntries(tenantLog, cutoff);
      tCount = tenantLog.entries.length - firstAfter(tenantLog.entries, cutoff);
      tTokens = tenantLog.tokens;
    }
    if (userLog) {
      expireEntries(userLog, cutoff);
      uCount = userLog.entries.length;
    }

    // Milliseconds until the in-window entry of this rank (0 = oldest) leaves the window.
    const leavesWindowIn = (log: WindowLog | null, rank: number, fallback: number) => {
      const entry = log?.entries[firstAfter(log.entries, cutoff) + rank];
      return entry ? Math.max(1, entry.at + window - now) : fallback;
    };
    // Milliseconds until enough tokens leave the window for this request to fit.
    const tokensFitIn = () => {
      if (est > tenantTpm || !tenantLog) return window;
      const need = tTokens + est - tenantTpm;
      let freed = 0;
      for (let i = firstAfter(tenantLog.entries, cutoff); i < tenantLog.entries.length; i += 1) {
        const entry = tenantLog.entries[i];
        freed += entry.tokens;
        if (freed >= need) return Math.max(1, entry.at + window - now);
      }
      return window;
    };
    // Header figures: the refused request limit, else the one with the least room; the tokens.
    const figures = (refused: RateLimitName | null, retry: number): RateLimitFigures => {
      let limit = -1;
      let count = 0;
      let log = tenantLog;
      if (tenantRpm >= 0) [limit, count] = [tenantRpm, tCount];
      if (
        userRpm >= 0 &&
        refused !== 'tenant_rpm' &&
        (refused === 'user_rpm' || limit < 0 || userRpm - uCount < limit - count)
      ) {
        [limit, count, log] = [userRpm, uCount, userLog];
      }
      const requestRefused = refused === 'tenant_rpm' || refused === 'user_rpm';
      return {
        requestLimit: limit,
        requestsLeft: limit >= 0 ? Math.max(0, limit - count) : -1,
        requestsResetMs: limit < 0 ? -1 : requestRefused ? retry : leavesWindowIn(log, 0, 0),
        tokenLimit: tenantTpm,
        tokensLeft: tenantTpm >= 0 ? Math.max(0, tenantTpm - tTokens) : -1,
        tokensResetMs:
          tenantTpm < 0 ? -1 : refused === 'tenant_tpm' ? retry : leavesWindowIn(tenantLog, 0, 0),
      };
    };

    let refused: RateLimitName | null = null;
    let retry = 0;
    if (tenantRpm >= 0 && tCount >= tenantRpm) {
      [refused, retry] = ['tenant_rpm', leavesWindowIn(tenantLog, tCount - tenantRpm, window)];
    } else if (tenantTpm >= 0 && tTokens + est > tenantTpm) {
      [refused, retry] = ['tenant_tpm', tokensFitIn()];
    } else if (userRpm >= 0 && uCount >= userRpm) {
      [refused, retry] = ['user_rpm', leavesWindowIn(userLog, uCount - userRpm, window)];
    }
    if (refused) {
      return {
        ok: false,
        reason: 'rate_limit',
        limit: refused,
        retryAfterMs: retry,
        headers: rateLimitHeaders(figures(refused, retry), retry),
      };
    }

    // 3. Budgets: settled spend + open reservations + this reservation must fit every limit.
    const spentBefore: number[] = [];
    for (const [i, counter] of counters.entries()) {
      if (!counter) continue;
      expireLeases(counter, now);
      const limit = request.budgets[i].limitMicros;
      if (counter.spent + counter.reserved + micros > limit) {
        const ref = refs[i];
        return {
          ok: false,
          reason: 'budget',
          scope: ref.scope,
          scopeId: ref.scopeId,
          period: ref.period,
          limitMicros: limit,
          spentMicros: counter.spent,
          reservedMicros: counter.reserved,
        };
      }
      spentBefore[i] = counter.spent;
    }

    // 4. Admitted: record the request, the reservation and its leases.
    const eventId = randomUUID();
    if (tenantLog) {
      insertEntry(tenantLog, { id: eventId, at: now, tokens: est }, wall);
      tCount += 1;
      tTokens += est;
    }
    if (userLog) {
      insertEntry(userLog, { id: eventId, at: now, tokens: 0 }, wall);
      uCount += 1;
    }
    const softAlerts: SoftAlert[] = [];
    for (const [i, counter] of counters.entries()) {
      if (!counter) continue;
      if (micros > 0) {
        counter.reserved += micros;
        counter.leases.set(eventId, { micros, expiresAt: now + this.leaseMs });
      }
      // Soft threshold on settled spend, reported by the first admission after the crossing.
      const rule = request.budgets[i];
      if (
        rule.softThresholdPct > 0 &&
        spentBefore[i] * 100 >= rule.limitMicros * rule.softThresholdPct &&
        !counter.alerted
      ) {
        counter.alerted = true;
        softAlerts.push(softAlert(refs[i], rule, spentBefore[i]));
      }
    }
    this.reservations.set(reservationKey(tenantId, eventId), {
      state: 'reserved',
      est,
      micros,
      tenantLog: usesTenantLog,
      expiresAt: wall + this.reservationTtlMs,
    });
    return {
      ok: true,
      reservationId: encodeReservationId({ eventId, tenantId, budgets: refs }),
      eventId,
      softAlerts,
      headers: rateLimitHeaders(figures(null, 0)),
    };
  }

  private close(
    reservationId: string,
    outcome: Extract<SettleOutcome, 'settled' | 'released'>,
    actualMicros: number,
    actualTokens: number,
    event: Record<string, string> | undefined,
  ): SettleResult {
    const { tenantId, eventId, budgets } = decodeReservationId(reservationId);
    const wall = this.clock();
    this.sweep(wall);
    const counters = budgets.map((ref) => this.counters.get(counterKey(tenantId, ref)));
    const spentNow = () =>
      budgets.map((ref, i) => ({ ...ref, spentMicros: counters[i]?.spent ?? null }));
    const key = reservationKey(tenantId, eventId);
    const found = this.reservations.get(key);
    const reservation = found && found.expiresAt > wall ? found : undefined;
    if (reservation?.state === 'done') return { outcome: 'duplicate', budgets: spentNow() };

    let result: SettleOutcome = outcome;
    if (!reservation) {
      // Unknown (expired): the event still carries the cost to Postgres; no counter is touched.
      result = 'orphan';
    } else {
      const entry = reservation.tenantLog ? this.tenantLogs.get(tenantId)?.byId.get(eventId) : null;
      const log = this.tenantLogs.get(tenantId);
      if (entry && log) {
        log.tokens = Math.max(0, log.tokens + actualTokens - entry.tokens);
        entry.tokens = actualTokens;
      }
      for (const counter of counters) {
        if (!counter) continue;
        // A lease that already ran out was given back by an admission: only the cost is added.
        if (counter.leases.delete(eventId)) {
          counter.reserved = Math.max(0, counter.reserved - reservation.micros);
        }
        counter.spent += actualMicros;
      }
    }
    this.reservations.set(key, { state: 'done', expiresAt: wall + this.settledTtlMs });
    const budgetsAfter =
      result === 'orphan' ? budgets.map((ref) => ({ ...ref, spentMicros: null })) : spentNow();
    if (event) {
      const fields: Record<string, string> = { settlement: result };
      for (const [name, value] of Object.entries(event)) {
        if (!RESERVED_EVENT_FIELDS.has(name)) fields[name] = value;
      }
      fields.reservationId = reservationId;
      this.onEvent(fields);
    }
    return { outcome: result, budgets: budgetsAfter };
  }

  // ---------------------------------------------------------------------------------------------

  private async startCounters(
    tenantId: string,
    refs: BudgetCounterRef[],
    now: number,
  ): Promise<void> {
    const source = this.spendSource;
    if (!source) {
      for (const ref of refs) this.createCounter(tenantId, ref, 0, now);
      return;
    }
    await Promise.all(
      refs.map((ref) =>
        singleFlight(this.seeding, counterKey(tenantId, ref), async () => {
          this.createCounter(tenantId, ref, await periodSpend(source, tenantId, ref), now);
        }),
      ),
    );
  }

  private createCounter(
    tenantId: string,
    ref: BudgetCounterRef,
    spentMicros: number,
    now: number,
  ): boolean {
    const key = counterKey(tenantId, ref);
    if (this.counters.has(key)) return false;
    const ttlMs = Math.max(60_000, ref.periodEnd + this.periodGraceMs - now);
    this.counters.set(key, {
      spent: spentMicros,
      reserved: 0,
      alerted: false,
      leases: new Map(),
      expiresAt: this.clock() + ttlMs,
    });
    return true;
  }

  private log(logs: Map<string, WindowLog>, key: string, wall: number): WindowLog {
    let log = logs.get(key);
    if (!log) {
      log = { entries: [], byId: new Map(), tokens: 0, touchedAt: wall };
      logs.set(key, log);
    }
    return log;
  }

  /** Forgets what has expired (the Redis keys' TTLs), at most once per SWEEP_EVERY_MS. */
  private sweep(wall: number): void {
    if (wall - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = wall;
    for (const [key, reservation] of this.reservations) {
      if (reservation.expiresAt <= wall) this.reservations.delete(key);
    }
    for (const [key, counter] of this.counters) {
      if (counter.expiresAt <= wall) this.counters.delete(key);
    }
    const idleSince = wall - this.windowMs - 1_000;
    for (const logs of [this.tenantLogs, this.userLogs]) {
      for (const [key, log] of logs) if (log.touchedAt <= idleSince) logs.delete(key);
    }
  }
}

/** Runs `work` right away (synchronously) and reports its result or error as a promise. */
function immediately<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}

function counterKey(
  tenantId: string,
  ref: Pick<BudgetCounterRef, 'scope' | 'scopeId' | 'periodKey'>,
): string {
  return `${tenantId}\u0000${ref.scope}\u0000${ref.scopeId}\u0000${ref.periodKey}`;
}

function reservationKey(tenantId: string, eventId: string): string {
  return `${tenantId}\u0000${eventId}`;
}

/** Index of the first entry strictly after `at` (entries are in time order). */
function firstAfter(entries: readonly LogEntry[], at: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops the entries at or before `cutoff` and their tokens from the total. */
function expireEntries(log: WindowLog, cutoff: number): void {
  const count = firstAfter(log.entries, cutoff);
  if (count === 0) return;
  for (const old of log.entries.splice(0, count)) {
    log.byId.delete(old.id);
    log.tokens -= old.tokens;
  }
  log.tokens = log.entries.length === 0 ? 0 : Math.max(0, log.tokens);
}

function insertEntry(log: WindowLog, entry: LogEntry, wall: number): void {
  log.entries.splice(firstAfter(log.entries, entry.at), 0, entry);
  log.byId.set(entry.id, entry);
  log.tokens += entry.tokens;
  log.touchedAt = wall;
}

/** Gives back the reservations whose lease ran out (their callers crashed or hung). */
function expireLeases(counter: BudgetCounter, now: number): void {
  for (const [id, lease] of counter.leases) {
    if (lease.expiresAt <= now) {
      counter.leases.delete(id);
      counter.reserved = Math.max(0, counter.reserved - lease.micros);
    }
  }
}
