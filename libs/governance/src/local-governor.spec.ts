// The in-process governor against the behaviour the Redis governor's integration tests pin down
// (governor.int-spec.ts, governor-rate-limits.int-spec.ts, governor-rebuild.int-spec.ts).
import { GovernanceUnavailableError } from './governance.errors';
import type { AdmitResult, RateLimited } from './governor.types';
import { LocalGovernor } from './local-governor';
import {
  admitted,
  counterRef,
  FakeSpendSource,
  newTenantId,
  request,
  T0,
  tenantBudget,
} from './testing/governor-fixtures';

const refused = (results: AdmitResult[]) =>
  results.filter((r): r is RateLimited => !r.ok && r.reason === 'rate_limit');

/** A governor recording the usage events it hands over, with a wall clock under the test's control. */
function governorWith(
  source: FakeSpendSource | null = new FakeSpendSource(0),
  options: ConstructorParameters<typeof LocalGovernor>[1] = {},
) {
  const events: Record<string, string>[] = [];
  const clock = { now: Date.UTC(2030, 5, 1) };
  const governor = new LocalGovernor(source, {
    onEvent: (fields) => events.push(fields),
    clock: () => clock.now,
    ...options,
  });
  return { governor, events, clock };
}

describe('LocalGovernor budgets', () => {
  it('admits exactly as many concurrent reservations as the budget holds, and more once settled below the estimate', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 500);
    const { governor } = governorWith(null);
    await governor.seed(id, counterRef(budget, T0), 0, T0);
    const req = request(id, { reserveMicros: 100, budgets: [budget] });

    const results = await Promise.all(Array.from({ length: 50 }, () => governor.admit(req)));
    const ok = admitted(results);
    expect(ok).toHaveLength(5);
    for (const r of results.filter((r) => !r.ok)) {
      expect(r).toMatchObject({ reason: 'budget', scope: 'tenant', scopeId: id, limitMicros: 500 });
    }
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 0,
      reservedMicros: 500,
    });

    for (const r of ok) {
      await governor.settle(r.reservationId, {
        actualMicros: 40,
        actualTokens: 5,
        event: { id: r.eventId },
      });
    }
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 200,
      reservedMicros: 0,
    });
    const more = await Promise.all(Array.from({ length: 10 }, () => governor.admit(req)));
    expect(admitted(more)).toHaveLength(3);
  });

  it('reports the settled spend of every budget of the reservation', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const keyBudget = {
      scope: 'apiKey' as const,
      scopeId: 'k1',
      period: 'MONTHLY' as const,
      limitMicros: 9_000,
      softThresholdPct: 80,
    };
    const req = request(id, {
      limits: { tenantRpm: 100, tenantTpm: 100_000, userRpm: 100 },
      budgets: [tenantBudget(id, 10_000, 80), keyBudget],
    });
    const ok = admitted([await governor.admit(req)])[0];
    const settled = await governor.settle(ok.reservationId, {
      actualMicros: 7,
      actualTokens: 3,
      event: { id: ok.eventId },
    });
    expect(settled.outcome).toBe('settled');
    expect(settled.budgets.map((b) => [b.scope, b.period, b.spentMicros])).toEqual([
      ['tenant', 'DAILY', 7],
      ['apiKey', 'MONTHLY', 7],
    ]);
  });

  it('records nothing for a refused call', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 50);
    const { governor } = governorWith();
    const limits = { tenantRpm: 5, userRpm: 5 };
    const req = request(id, { reserveMicros: 100, budgets: [budget], limits });
    for (let i = 0; i < 8; i += 1)
      expect(await governor.admit(req)).toMatchObject({ reason: 'budget' });
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 0,
      reservedMicros: 0,
    });
    // Neither request log counted them: the first admitted call still has 4 of 5 left.
    const first = admitted([await governor.admit(request(id, { limits }))])[0];
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('4');
  });

  it('reports the soft threshold once per period, even to concurrent admissions', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 1_000, 80);
    const source = new FakeSpendSource(0);
    source.set('tenant', id, counterRef(budget, T0).periodStart, 800);
    const { governor } = governorWith(source);
    const req = request(id, { reserveMicros: 5, budgets: [budget] });

    const results = admitted(
      await Promise.all(Array.from({ length: 20 }, () => governor.admit(req))),
    );
    expect(results).toHaveLength(20);
    expect(results.flatMap((r) => r.softAlerts)).toEqual([
      {
        scope: 'tenant',
        scopeId: id,
        period: 'DAILY',
        periodStart: '2031-01-15T00:00:00.000Z',
        periodEnd: '2031-01-16T00:00:00.000Z',
        thresholdPct: 80,
        limitMicros: 1_000,
        spentMicros: 800,
      },
    ]);
    expect(admitted([await governor.admit(req)])[0]?.softAlerts).toEqual([]);

    // The next day is a new period: a new counter and a new alert.
    const nextDay = T0 + 86_400_000;
    source.set('tenant', id, counterRef(budget, nextDay).periodStart, 900);
    const tomorrow = admitted([await governor.admit({ ...req, now: nextDay })]);
    expect(tomorrow[0]?.softAlerts.map((a) => a.periodStart)).toEqual(['2031-01-16T00:00:00.000Z']);
  });

  it('raises the alert on the first admission after settled spend crosses the threshold', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 1_000, 80);
    const { governor } = governorWith(new FakeSpendSource(700));
    const req = request(id, { reserveMicros: 100, budgets: [budget] });
    const first = admitted([await governor.admit(req)])[0];
    expect(first.softAlerts).toEqual([]);
    await governor.settle(first.reservationId, {
      actualMicros: 150,
      actualTokens: 1,
      event: { id: 'e1' },
    });
    const second = admitted([await governor.admit(req)])[0];
    expect(second.softAlerts).toMatchObject([{ spentMicros: 850, thresholdPct: 80 }]);
  });

  it('settles a reservation once: a repeated settle changes nothing and hands over no event', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 10_000);
    const { governor, events } = governorWith();
    const ok = admitted([
      await governor.admit(request(id, { reserveMicros: 1_000, budgets: [budget] })),
    ])[0];

    const settle = () =>
      governor.settle(ok.reservationId, {
        actualMicros: 250,
        actualTokens: 7,
        event: { id: ok.eventId, model: 'm', settlement: 'forged', reservationId: 'forged' },
      });
    const outcomes = [...(await Promise.all([settle(), settle()])), await settle()];
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'settled']);
    for (const o of outcomes)
      expect(o.budgets).toMatchObject([{ scope: 'tenant', spentMicros: 250 }]);
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 250,
      reservedMicros: 0,
    });
    expect(events).toEqual([
      { settlement: 'settled', id: ok.eventId, model: 'm', reservationId: ok.reservationId },
    ]);
    expect(Object.keys(events[0])).toEqual(['settlement', 'id', 'model', 'reservationId']);
  });

  it('release gives the reservation back, handing over an event only when given one', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 100);
    const { governor, events } = governorWith();
    const req = request(id, { reserveMicros: 100, budgets: [budget] });
    const first = admitted([await governor.admit(req)])[0];
    expect(await governor.admit(req)).toMatchObject({
      ok: false,
      reason: 'budget',
      reservedMicros: 100,
    });

    expect((await governor.release(first.reservationId)).outcome).toBe('released');
    expect(events).toHaveLength(0);
    const second = admitted([await governor.admit(req)])[0];
    await governor.release(second.reservationId, { id: second.eventId, status: 'FAILED' });
    expect((await governor.release(second.reservationId)).outcome).toBe('duplicate');
    expect(events).toEqual([
      {
        settlement: 'released',
        id: second.eventId,
        status: 'FAILED',
        reservationId: second.reservationId,
      },
    ]);
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 0,
      reservedMicros: 0,
    });
  });

  it('stops holding budget for a reservation whose lease ran out (crashed caller)', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 100);
    const { governor } = governorWith(new FakeSpendSource(0), { leaseMs: 1_000 });
    const req = request(id, { reserveMicros: 100, budgets: [budget] });
    const lost = admitted([await governor.admit(req)])[0];
    expect(await governor.admit({ ...req, now: T0 + 500 })).toMatchObject({ reason: 'budget' });
    const next = admitted([await governor.admit({ ...req, now: T0 + 1_001 })])[0];
    expect(next).toBeDefined();

    // A late settle still charges the cost but does not release the lease a second time.
    await governor.settle(lost.reservationId, {
      actualMicros: 30,
      actualTokens: 1,
      event: { id: 'late' },
    });
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 30,
      reservedMicros: 100,
    });
  });

  it('settles a reservation it no longer knows as an orphan: the event goes on, no counter moves', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 10_000);
    const { governor, events, clock } = governorWith(new FakeSpendSource(0), {
      reservationTtlMs: 60_000,
    });
    const ok = admitted([await governor.admit(request(id, { budgets: [budget] }))])[0];
    clock.now += 60_001;
    const result = await governor.settle(ok.reservationId, {
      actualMicros: 80,
      actualTokens: 1,
      event: { id: ok.eventId },
    });
    expect(result).toMatchObject({ outcome: 'orphan', budgets: [{ spentMicros: null }] });
    expect(events.map((e) => e.settlement)).toEqual(['orphan']);
    expect(governor.budgetState(id, counterRef(budget, T0))).toEqual({
      spentMicros: 0,
      reservedMicros: 100,
    });
    expect(
      (await governor.settle(ok.reservationId, { actualMicros: 80, actualTokens: 1, event: {} }))
        .outcome,
    ).toBe('duplicate');
    expect(events).toHaveLength(1);
  });

  it('refuses malformed reservation ids and invalid amounts', async () => {
    const { governor } = governorWith();
    await expect(governor.release('nope')).rejects.toBeInstanceOf(RangeError);
    const id = newTenantId();
    const ok = admitted([await governor.admit(request(id))])[0];
    await expect(
      governor.settle(ok.reservationId, { actualMicros: -1, actualTokens: 0, event: {} }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(governor.admit(request(id, { reserveMicros: 1.5 }))).rejects.toBeInstanceOf(
      RangeError,
    );
  });
});

describe('LocalGovernor counters from the spend source', () => {
  it('starts a counter from the spend source once, even for concurrent first uses', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 1_000);
    const ref = counterRef(budget, T0);
    const source = new FakeSpendSource(0, 20);
    source.set('tenant', id, ref.periodStart, 300);
    const { governor } = governorWith(source);
    const req = request(id, { reserveMicros: 50, budgets: [budget] });

    const results = await Promise.all(Array.from({ length: 20 }, () => governor.admit(req)));
    expect(source.calls).toBe(1);
    expect(admitted(results)).toHaveLength(14); // (1000 − 300) / 50
    expect(results.find((r) => !r.ok)).toMatchObject({
      reason: 'budget',
      spentMicros: 300,
      reservedMicros: 700,
    });
    await governor.admit(req);
    expect(source.calls).toBe(1);
  });

  it('asks again for a new period, and per scope', async () => {
    const id = newTenantId();
    const source = new FakeSpendSource(0);
    const { governor } = governorWith(source);
    const keyBudget = {
      scope: 'apiKey' as const,
      scopeId: 'k1',
      period: 'MONTHLY' as const,
      limitMicros: 1_000,
      softThresholdPct: 0,
    };
    const req = request(id, { budgets: [tenantBudget(id, 1_000), keyBudget] });
    await governor.admit(req);
    expect(source.calls).toBe(2);
    await governor.admit({ ...req, now: T0 + 86_400_000 }); // new day, same month
    expect(source.calls).toBe(3);
  });

  it('without a spend source, starts counters at zero unless seeded first; the first seeder wins', async () => {
    const id = newTenantId();
    const budget = { ...tenantBudget(id, 1_000), period: 'MONTHLY' as const };
    const ref = counterRef(budget, T0);
    const { governor } = governorWith(null);
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, i) => governor.seed(id, ref, 900 + i, T0)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await governor.admit(request(id, { budgets: [budget] }))).toMatchObject({ ok: true });
    expect(await governor.admit(request(id, { budgets: [budget] }))).toMatchObject({
      reason: 'budget',
      spentMicros: 900,
      reservedMicros: 100,
    });

    const other = newTenantId();
    const fresh = tenantBudget(other, 100);
    expect(await governor.admit(request(other, { budgets: [fresh] }))).toMatchObject({ ok: true });
    expect(governor.budgetState(other, counterRef(fresh, T0))).toEqual({
      spentMicros: 0,
      reservedMicros: 100,
    });
  });

  it('fails closed when a counter cannot be started, and retries on the next admission', async () => {
    const id = newTenantId();
    let down = true;
    const source = {
      spentMicros: () => (down ? Promise.reject(new Error('postgres down')) : Promise.resolve(10)),
    };
    const governor = new LocalGovernor(source);
    const req = request(id, { budgets: [tenantBudget(id, 200)] });
    await expect(governor.admit(req)).rejects.toBeInstanceOf(GovernanceUnavailableError);
    down = false;
    expect(await governor.admit(req)).toMatchObject({ ok: true });
    expect(await governor.admit(req)).toMatchObject({
      reason: 'budget',
      spentMicros: 10,
      reservedMicros: 100,
    });
  });
});

describe('LocalGovernor rate limits', () => {
  it('holds the tenant RPM under concurrency, with the headers of a refusal', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const req = request(id, { limits: { tenantRpm: 10 } });
    const results = await Promise.all(Array.from({ length: 30 }, () => governor.admit(req)));
    expect(admitted(results)).toHaveLength(10);
    const limited = refused(results);
    expect(limited).toHaveLength(20);
    for (const r of limited) {
      expect(r).toMatchObject({ limit: 'tenant_rpm', retryAfterMs: 60_000 });
      expect(r.headers).toEqual({
        'x-ratelimit-limit-requests': '10',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '1m0s',
        'retry-after': '60',
      });
    }
    expect(await governor.admit({ ...req, now: T0 + 30_000 })).toMatchObject({
      ok: false,
      retryAfterMs: 30_000,
    });
    expect(await governor.admit({ ...req, now: T0 + 60_000 })).toMatchObject({ ok: true });
  });

  it('slides: requests leave the window one minute after they were made', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const at = (now: number) => governor.admit(request(id, { limits: { tenantRpm: 10 }, now }));
    for (let i = 0; i < 5; i += 1) expect(await at(T0)).toMatchObject({ ok: true });
    for (let i = 0; i < 5; i += 1) expect(await at(T0 + 30_000)).toMatchObject({ ok: true });
    expect(await at(T0 + 40_000)).toMatchObject({
      ok: false,
      limit: 'tenant_rpm',
      retryAfterMs: 20_000,
    });
    const later = await Promise.all(Array.from({ length: 8 }, () => at(T0 + 60_000)));
    expect(admitted(later)).toHaveLength(5);
  });

  it('uses its clock when no time is given', async () => {
    const id = newTenantId();
    const { governor, clock } = governorWith();
    const req = request(id, { limits: { tenantRpm: 2 }, now: undefined });
    const ok = admitted([await governor.admit(req), await governor.admit(req)]);
    expect(ok[1]?.headers['x-ratelimit-remaining-requests']).toBe('0');
    clock.now += 15_000;
    expect(await governor.admit(req)).toMatchObject({
      ok: false,
      limit: 'tenant_rpm',
      retryAfterMs: 45_000,
    });
    clock.now += 45_000;
    expect(await governor.admit(req)).toMatchObject({ ok: true });
  });

  it('counts estimated tokens against the TPM and corrects them when the call settles', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const req = request(id, { estimatedTokens: 300, limits: { tenantTpm: 1_000 } });
    const ok = admitted([
      await governor.admit(req),
      await governor.admit(req),
      await governor.admit(req),
    ]);
    expect(ok).toHaveLength(3);
    expect(ok[2]?.headers).toMatchObject({
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '100',
    });
    const limited = (await governor.admit(req)) as RateLimited;
    expect(limited).toMatchObject({ ok: false, limit: 'tenant_tpm', retryAfterMs: 60_000 });
    expect(limited.headers).toMatchObject({
      'x-ratelimit-remaining-tokens': '100',
      'x-ratelimit-reset-tokens': '1m0s',
    });

    await governor.settle(ok[0].reservationId, {
      actualMicros: 0,
      actualTokens: 100,
      event: { id: 'e' },
    });
    expect(await governor.admit(req)).toMatchObject({ ok: true }); // 100 + 300 + 300 + 300
    expect(await governor.admit(req)).toMatchObject({ ok: false, limit: 'tenant_tpm' });
    await governor.release(ok[1].reservationId);
    expect(await governor.admit(req)).toMatchObject({ ok: true });
  });

  it('gives the time at which enough tokens leave the window', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const at = (now: number, estimatedTokens: number) =>
      governor.admit(request(id, { estimatedTokens, limits: { tenantTpm: 1_000 }, now }));
    expect(await at(T0, 400)).toMatchObject({ ok: true });
    expect(await at(T0 + 10_000, 400)).toMatchObject({ ok: true });
    expect(await at(T0 + 20_000, 700)).toMatchObject({ ok: false, retryAfterMs: 50_000 });
    expect(await at(T0 + 20_000, 300)).toMatchObject({ ok: false, retryAfterMs: 40_000 });
    expect(await at(T0 + 20_000, 2_000)).toMatchObject({ ok: false, retryAfterMs: 60_000 });
  });

  it('limits each user separately within the tenant', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const as = (userId: string) =>
      governor.admit(request(id, { userId, limits: { tenantRpm: 100, userRpm: 3 } }));
    const first = await Promise.all([as('u1'), as('u1'), as('u1'), as('u1'), as('u1')]);
    expect(admitted(first)).toHaveLength(3);
    const limited = refused(first);
    expect(limited).toHaveLength(2);
    expect(limited[0]).toMatchObject({ limit: 'user_rpm', retryAfterMs: 60_000 });
    expect(limited[0]?.headers).toMatchObject({
      'x-ratelimit-limit-requests': '3',
      'x-ratelimit-remaining-requests': '0',
      'retry-after': '60',
    });
    expect(await as('u2')).toMatchObject({ ok: true });
  });

  it('reports the tightest request limit on admitted calls', async () => {
    const id = newTenantId();
    const { governor } = governorWith();
    const req = request(id, { limits: { tenantRpm: 5, userRpm: 50 } });
    const [a, b] = admitted([await governor.admit(req), await governor.admit(req)]);
    expect(a?.headers).toEqual({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-reset-requests': '1m0s',
    });
    expect(b?.headers['x-ratelimit-remaining-requests']).toBe('3');
    const userBound = request(id, { userId: 'u9', limits: { tenantRpm: 50, userRpm: 2 } });
    const c = admitted([await governor.admit(userBound)])[0];
    expect(c?.headers).toMatchObject({
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '1',
    });
  });

  it('reserves no budget for a rate-limited call', async () => {
    const id = newTenantId();
    const budget = tenantBudget(id, 1_000);
    const { governor } = governorWith();
    const req = request(id, { reserveMicros: 100, limits: { tenantRpm: 2 }, budgets: [budget] });
    const results = await Promise.all(Array.from({ length: 6 }, () => governor.admit(req)));
    expect(admitted(results)).toHaveLength(2);
    expect(governor.budgetState(id, counterRef(budget, T0))?.reservedMicros).toBe(200);
  });

  it('forgets idle logs and expired reservations as time passes', async () => {
    const id = newTenantId();
    const { governor, clock } = governorWith(null, { reservationTtlMs: 60_000 });
    const req = request(id, { limits: { tenantRpm: 1 }, now: undefined });
    const first = admitted([await governor.admit(req)])[0];
    expect(await governor.admit(req)).toMatchObject({ ok: false });
    clock.now += 120_000;
    expect(await governor.admit(req)).toMatchObject({ ok: true });
    expect((await governor.release(first.reservationId)).outcome).toBe('orphan');
  });
});
