// Test helpers for the governor's integration tests (never imported by production code).
import { randomUUID } from 'node:crypto';
import { redisTestUrl } from '@gnomon/testing';
import { Redis } from 'ioredis';
import { budgetPeriodAt, type BudgetCounterRef, type BudgetScope } from '../budget-period';
import { GovernanceKeys } from '../governance-keys';
import type { AdmitRequest, AdmitResult, BudgetRule, SpendSource } from '../governor.types';

export const keys = new GovernanceKeys();

/** A fixed instant (mid-day UTC) so windows and periods are under the test's control. */
export const T0 = Date.UTC(2031, 0, 15, 12, 0, 0);

export function newTenantId(): string {
  return `test-${randomUUID()}`;
}

export function tenantBudget(
  tenantId: string,
  limitMicros: number,
  softThresholdPct = 0,
): BudgetRule {
  return { scope: 'tenant', scopeId: tenantId, period: 'DAILY', limitMicros, softThresholdPct };
}

export function counterRef(rule: BudgetRule, now: number): BudgetCounterRef {
  return {
    scope: rule.scope,
    scopeId: rule.scopeId,
    period: rule.period,
    ...budgetPeriodAt(rule.period, now),
  };
}

export function request(tenantId: string, overrides: Partial<AdmitRequest> = {}): AdmitRequest {
  return {
    tenantId,
    userId: 'user-1',
    estimatedTokens: 10,
    reserveMicros: 100,
    limits: {},
    budgets: [],
    now: T0,
    ...overrides,
  };
}

export function admitted(results: AdmitResult[]): Array<Extract<AdmitResult, { ok: true }>> {
  return results.filter((r): r is Extract<AdmitResult, { ok: true }> => r.ok);
}

export async function counter(
  redis: Redis,
  tenantId: string,
  ref: BudgetCounterRef,
): Promise<{ spent: number | null; reserved: number | null }> {
  const [spent, reserved] = await redis.hmget(keys.budget(tenantId, ref), 'spent', 'reserved');
  return {
    spent: spent === null ? null : Number(spent),
    reserved: reserved === null ? null : Number(reserved),
  };
}

/** Deletes every key of the tenant (what a Redis restart without persistence does). */
export async function dropTenantKeys(redis: Redis, tenantId: string, match = ':*'): Promise<void> {
  const pattern = keys.tenantPattern(tenantId).replace(/:\*$/, match);
  const found = await redis.keys(pattern);
  if (found.length > 0) await redis.del(...found);
}

/** Postgres stand-in: the spend of a scope in a period, with call counting and latency. */
export class FakeSpendSource implements SpendSource {
  calls = 0;
  private readonly values = new Map<string, number>();

  constructor(
    private readonly fallback = 0,
    private readonly delayMs = 0,
  ) {}

  set(scope: BudgetScope, scopeId: string, periodStart: number, spentMicros: number): void {
    this.values.set(`${scope}|${scopeId}|${periodStart}`, spentMicros);
  }

  async spentMicros(
    _tenantId: string,
    scope: BudgetScope,
    scopeId: string,
    periodStart: Date,
  ): Promise<number> {
    this.calls += 1;
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return this.values.get(`${scope}|${scopeId}|${periodStart.getTime()}`) ?? this.fallback;
  }
}

/**
 * Two connections to the test Redis (two "gateway instances"), fresh tenant ids and stream
 * keys per test, and the removal of everything they created afterwards.
 */
export function useRedisHarness() {
  const tenants: string[] = [];
  const streams: string[] = [];
  let first: Redis | undefined;
  let second: Redis | undefined;
  const connected = (client: Redis | undefined) => {
    if (!client) throw new Error('the harness connects in beforeAll');
    return client;
  };

  beforeAll(() => {
    first = new Redis(redisTestUrl());
    second = new Redis(redisTestUrl());
  });

  afterEach(async () => {
    const redis = connected(first);
    for (const id of tenants.splice(0)) await dropTenantKeys(redis, id);
    if (streams.length > 0) await redis.del(...streams.splice(0));
  });

  afterAll(async () => {
    await first?.quit();
    await second?.quit();
  });

  return {
    get redis() {
      return connected(first);
    },
    get redis2() {
      return connected(second);
    },
    tenant(): string {
      const id = newTenantId();
      tenants.push(id);
      return id;
    },
    stream(): string {
      const key = `gnomon:test:llm-events:${randomUUID()}`;
      streams.push(key);
      return key;
    },
  };
}
