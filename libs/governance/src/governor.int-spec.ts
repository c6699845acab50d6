import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { GovernanceUnavailableError } from './governance.errors';
import { Governor } from './governor';
import type { GovernanceRedis } from './lua-script';
import {
  admitted,
  counter,
  counterRef,
  FakeSpendSource,
  newTenantId,
  request,
  T0,
  tenantBudget,
  useRedisHarness,
} from './testing/governor-fixtures';

describe('Governor budgets (real Redis)', () => {
  const h = useRedisHarness();
  const tenant = () => h.tenant();
  const stream = () => h.stream();

  it('admits exactly as many concurrent reservations as the budget holds, and more once settled below the estimate', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 500);
    const governor = new Governor(h.redis, null, { eventStream: stream() });
    await governor.seed(id, counterRef(budget, T0), 0, T0);
    const req = request(id, { reserveMicros: 100, budgets: [budget] });

    const results = await Promise.all(Array.from({ length: 50 }, () => governor.admit(req)));
    const ok = admitted(results);
    expect(ok).toHaveLength(5);
    for (const refused of results.filter((r) => !r.ok)) {
      expect(refused).toMatchObject({
        reason: 'budget',
        scope: 'tenant',
        scopeId: id,
        limitMicros: 500,
      });
    }
    expect(await counter(h.redis, id, counterRef(budget, T0))).toEqual({ spent: 0, reserved: 500 });

    for (const r of ok) {
      await governor.settle(r.reservationId, {
        actualMicros: 40,
        actualTokens: 5,
        event: { id: r.eventId },
      });
    }
    expect(await counter(h.redis, id, counterRef(budget, T0))).toEqual({ spent: 200, reserved: 0 });
    const more = await Promise.all(Array.from({ length: 10 }, () => governor.admit(req)));
    expect(admitted(more)).toHaveLength(3);
  });

  it('makes one round trip per admission and one per settlement', async () => {
    const id = tenant();
    let calls = 0;
    const counting: GovernanceRedis = {
      evalsha: (...args) => {
        calls += 1;
        return h.redis.evalsha(...args);
      },
      eval: (...args) => {
        calls += 1;
        return h.redis.eval(...args);
      },
    };
    const governor = new Governor(counting, new FakeSpendSource(0), { eventStream: stream() });
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
    await governor.admit(req); // rebuilds the counters, loads the scripts
    calls = 0;
    const ok = admitted([await governor.admit(req)])[0];
    expect(calls).toBe(1);
    calls = 0;
    const settled = await governor.settle(ok.reservationId, {
      actualMicros: 7,
      actualTokens: 3,
      event: { id: ok.eventId },
    });
    expect(calls).toBe(1);
    expect(settled.budgets.map((b) => [b.scope, b.period, b.spentMicros])).toEqual([
      ['tenant', 'DAILY', 7],
      ['apiKey', 'MONTHLY', 7],
    ]);
  });

  it('records nothing for a refused call', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 50);
    const governor = new Governor(h.redis, new FakeSpendSource(0));
    const req = request(id, {
      reserveMicros: 100,
      budgets: [budget],
      limits: { tenantRpm: 5, userRpm: 5 },
    });
    for (let i = 0; i < 8; i += 1)
      expect(await governor.admit(req)).toMatchObject({ reason: 'budget' });
    expect(await h.redis.zcard(`gnomon:{t:${id}}:rl:t`)).toBe(0);
    expect(await h.redis.zcard(`gnomon:{t:${id}}:rl:u:user-1`)).toBe(0);
    expect(await counter(h.redis, id, counterRef(budget, T0))).toEqual({ spent: 0, reserved: 0 });
  });

  it('reports the soft threshold once per period, even to concurrent admissions', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 1_000, 80);
    const source = new FakeSpendSource(0);
    source.set('tenant', id, counterRef(budget, T0).periodStart, 800);
    const governor = new Governor(h.redis, source);
    const req = request(id, { reserveMicros: 5, budgets: [budget] });

    const results = admitted(
      await Promise.all(Array.from({ length: 20 }, () => governor.admit(req))),
    );
    expect(results).toHaveLength(20);
    const alerts = results.flatMap((r) => r.softAlerts);
    expect(alerts).toEqual([
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
    const id = tenant();
    const budget = tenantBudget(id, 1_000, 80);
    const governor = new Governor(h.redis, new FakeSpendSource(700));
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

  it('settles a reservation once: a repeated settle changes nothing and appends nothing', async () => {
    const id = tenant();
    const events = stream();
    const budget = tenantBudget(id, 10_000);
    const governor = new Governor(h.redis, new FakeSpendSource(0), { eventStream: events });
    const ok = admitted([
      await governor.admit(request(id, { reserveMicros: 1_000, budgets: [budget] })),
    ])[0];

    const settle = () =>
      governor.settle(ok.reservationId, {
        actualMicros: 250,
        actualTokens: 7,
        event: { id: ok.eventId, model: 'm' },
      });
    const outcomes = [...(await Promise.all([settle(), settle()])), await settle()];
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['duplicate', 'duplicate', 'settled']);
    for (const o of outcomes)
      expect(o.budgets).toMatchObject([{ scope: 'tenant', spentMicros: 250 }]);
    expect(await counter(h.redis, id, counterRef(budget, T0))).toEqual({ spent: 250, reserved: 0 });

    const entries = await h.redis.xrange(events, '-', '+');
    expect(entries).toHaveLength(1);
    const fields = Object.fromEntries(
      entries[0][1].flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : [])),
    );
    expect(fields).toEqual({
      settlement: 'settled',
      id: ok.eventId,
      model: 'm',
      reservationId: ok.reservationId,
    });
  });

  it('release gives the reservation back, appending an event only when given one', async () => {
    const id = tenant();
    const events = stream();
    const budget = tenantBudget(id, 100);
    const governor = new Governor(h.redis, new FakeSpendSource(0), { eventStream: events });
    const req = request(id, { reserveMicros: 100, budgets: [budget] });
    const first = admitted([await governor.admit(req)])[0];
    expect(await governor.admit(req)).toMatchObject({
      ok: false,
      reason: 'budget',
      reservedMicros: 100,
    });

    expect((await governor.release(first.reservationId)).outcome).toBe('released');
    expect(await h.redis.xlen(events)).toBe(0);
    const second = admitted([await governor.admit(req)])[0];
    await governor.release(second.reservationId, { id: second.eventId, status: 'FAILED' });
    expect((await governor.release(second.reservationId)).outcome).toBe('duplicate');
    expect(await h.redis.xlen(events)).toBe(1);
    expect(await counter(h.redis, id, counterRef(budget, T0))).toEqual({ spent: 0, reserved: 0 });
  });

  it('stops holding budget for a reservation whose lease ran out (crashed caller)', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 100);
    const governor = new Governor(h.redis, new FakeSpendSource(0), { leaseMs: 1_000 });
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
    expect(await counter(h.redis, id, counterRef(budget, T0))).toEqual({
      spent: 30,
      reserved: 100,
    });
  });

  it('fails closed with GovernanceUnavailableError when Redis is unreachable', async () => {
    const port = await closedPort();
    const dead = new Redis({
      host: '127.0.0.1',
      port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 200,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    dead.on('error', () => undefined);
    const governor = new Governor(dead, new FakeSpendSource(0));
    const id = newTenantId();
    await expect(
      governor.admit(request(id, { budgets: [tenantBudget(id, 100)] })),
    ).rejects.toBeInstanceOf(GovernanceUnavailableError);
    const reservationId = `${randomUUID()}.${id}.`;
    await expect(
      governor.settle(reservationId, { actualMicros: 1, actualTokens: 1, event: {} }),
    ).rejects.toBeInstanceOf(GovernanceUnavailableError);
    await expect(governor.release(reservationId)).rejects.toBeInstanceOf(
      GovernanceUnavailableError,
    );
    dead.disconnect();
  });

  it('fails closed when lost counters cannot be rebuilt', async () => {
    const id = tenant();
    const failing = { spentMicros: () => Promise.reject(new Error('postgres down')) };
    const governor = new Governor(h.redis, failing);
    await expect(
      governor.admit(request(id, { budgets: [tenantBudget(id, 100)] })),
    ).rejects.toBeInstanceOf(GovernanceUnavailableError);
  });
});

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
