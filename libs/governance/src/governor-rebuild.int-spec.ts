import { Governor } from './governor';
import {
  admitted,
  counter,
  counterRef,
  dropTenantKeys,
  FakeSpendSource,
  request,
  T0,
  tenantBudget,
  useRedisHarness,
} from './testing/governor-fixtures';

describe('Governor counter rebuild (real Redis)', () => {
  const h = useRedisHarness();
  const tenant = () => h.tenant();
  const stream = () => h.stream();

  it('without a spend source, reports missing counters until they are seeded', async () => {
    const id = tenant();
    const budget = { ...tenantBudget(id, 1_000), period: 'MONTHLY' as const };
    const governor = new Governor(h.redis);
    const result = await governor.admit(request(id, { budgets: [budget] }));
    const ref = counterRef(budget, T0);
    expect(result).toEqual({ ok: false, reason: 'counters_missing', missing: [ref] });
    expect(ref).toMatchObject({ periodKey: 'M2031-01', periodStart: Date.UTC(2031, 0, 1) });
    expect(await governor.seed(id, ref, 900, T0)).toBe(true);
    expect(await governor.admit(request(id, { budgets: [budget] }))).toMatchObject({ ok: true });
    expect(await governor.admit(request(id, { budgets: [budget] }))).toMatchObject({
      reason: 'budget',
      spentMicros: 900,
      reservedMicros: 100,
    });
  });

  it('rebuilds lost counters from the spend source once, even with concurrent rebuilders on two instances', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 10_000);
    const ref = counterRef(budget, T0);
    const source = new FakeSpendSource(0, 20);
    const a = new Governor(h.redis, source);
    const b = new Governor(h.redis2, source);
    const req = request(id, { reserveMicros: 50, budgets: [budget] });
    const first = admitted([await a.admit(req)])[0];
    await a.settle(first.reservationId, { actualMicros: 300, actualTokens: 1, event: { id: 'x' } });

    // Redis loses everything; Postgres has the 300 by now.
    await dropTenantKeys(h.redis, id);
    source.set('tenant', id, ref.periodStart, 300);
    source.calls = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).admit(req)),
    );
    expect(admitted(results)).toHaveLength(20);
    expect(source.calls).toBeGreaterThanOrEqual(1);
    expect(source.calls).toBeLessThanOrEqual(2);
    expect(await counter(h.redis, id, ref)).toEqual({ spent: 300, reserved: 20 * 50 });
  });

  it('lets only the first of concurrent seeders set a counter', async () => {
    const id = tenant();
    const ref = counterRef(tenantBudget(id, 1_000), T0);
    const governor = new Governor(h.redis);
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, i) => governor.seed(id, ref, 100 + i, T0)),
    );
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await counter(h.redis, id, ref)).spent).toBe(100 + won.indexOf(true));
  });

  it('charges a reservation made before a counter loss without releasing it from the rebuilt counter', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 10_000);
    const ref = counterRef(budget, T0);
    const source = new FakeSpendSource(0);
    const governor = new Governor(h.redis, source);
    const req = request(id, { reserveMicros: 100, budgets: [budget] });
    const before = admitted([await governor.admit(req)])[0];

    await dropTenantKeys(h.redis, id, ':b:*'); // the counters are lost, the reservation is not
    source.set('tenant', id, ref.periodStart, 500);
    expect(admitted([await governor.admit(req)])).toHaveLength(1);
    const settled = await governor.settle(before.reservationId, {
      actualMicros: 30,
      actualTokens: 1,
      event: { id: 'a' },
    });
    expect(settled).toMatchObject({ outcome: 'settled', budgets: [{ spentMicros: 530 }] });
    expect(await counter(h.redis, id, ref)).toEqual({ spent: 530, reserved: 100 });
  });

  it('appends the event of a reservation lost with the counters without recreating them', async () => {
    const id = tenant();
    const events = stream();
    const budget = tenantBudget(id, 10_000);
    const governor = new Governor(h.redis, new FakeSpendSource(0), { eventStream: events });
    const ok = admitted([await governor.admit(request(id, { budgets: [budget] }))])[0];
    await dropTenantKeys(h.redis, id);
    const result = await governor.settle(ok.reservationId, {
      actualMicros: 80,
      actualTokens: 1,
      event: { id: ok.eventId },
    });
    expect(result).toMatchObject({ outcome: 'orphan', budgets: [{ spentMicros: null }] });
    expect(await h.redis.exists(`gnomon:{t:${id}}:b:tenant:${id}:D2031-01-15`)).toBe(0);
    const [entry] = await h.redis.xrange(events, '-', '+');
    expect(entry?.[1].slice(0, 2)).toEqual(['settlement', 'orphan']);
    expect(
      (await governor.settle(ok.reservationId, { actualMicros: 80, actualTokens: 1, event: {} }))
        .outcome,
    ).toBe('duplicate');
    expect(await h.redis.xlen(events)).toBe(1);
  });
});
