import { APIError } from 'openai';
import { GatewayHarness, type TestTenant } from '../testing/gateway-harness';
import {
  addApiKey,
  billedMicros,
  eventually,
  postChat,
  reservationFor,
  setKeyBudget,
  tenantGovernanceKeys,
  testRedis,
} from '../testing/governance-fixtures';

// A short prompt and an output bound the simulated model always reaches: every call costs
// almost exactly its worst case (the estimate counts prompt tokens pessimistically).
const REQUEST = {
  model: 'simulated/sim-small',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_completion_tokens: 20,
};
const RESERVE = reservationFor(REQUEST);

type Outcome = { ok: true; cost: number } | { ok: false; error: APIError };

describe('budgets at the gateway (real Postgres + Redis)', () => {
  let h: GatewayHarness;
  let redis: ReturnType<typeof testRedis>;
  /** What one REQUEST really costs (measured once, with no budget in the way). */
  let actualCost: number;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    await h.addInstance();
    redis = testRedis();
    const probe = await h.createTenant();
    const streamed = await postChat(h.url(), probe.key, { ...REQUEST, stream: true });
    expect(streamed.status).toBe(200);
    expect(Number(streamed.headers.get('x-gnomon-cost-reserved-micros'))).toBe(RESERVE);
    const plain = await postChat(h.url(), probe.key, REQUEST);
    expect(plain.status).toBe(200);
    actualCost = Number(plain.headers.get('x-gnomon-cost-micros'));
    expect(actualCost).toBeGreaterThan(0);
    expect(actualCost).toBeLessThanOrEqual(RESERVE);
  });
  afterAll(async () => {
    await redis?.quit();
    await h?.close();
  });

  /** One call through the SDK (instance alternates), consuming streams to the end. */
  async function call(tenant: { key: string }, i: number, stream = false): Promise<Outcome> {
    const client = h.client(tenant.key, i % h.instances.length);
    try {
      if (stream) {
        const { data, response } = await client.chat.completions
          .create({ ...REQUEST, stream: true, stream_options: { include_usage: true } })
          .withResponse();
        for await (const chunk of data) void chunk;
        expect(response.headers.get('x-gnomon-cost-reserved-micros')).toBe(String(RESERVE));
        return { ok: true, cost: -1 };
      }
      const { response } = await client.chat.completions.create(REQUEST).withResponse();
      return { ok: true, cost: Number(response.headers.get('x-gnomon-cost-micros')) };
    } catch (error) {
      if (error instanceof APIError) return { ok: false, error };
      throw error;
    }
  }

  async function counter(tenant: TestTenant, scope: 'tenant' | 'apiKey', scopeId: string) {
    const keys = await tenantGovernanceKeys(redis, h, tenant.tenantId);
    const key = keys.find((k) => k.includes(`:b:${scope}:${scopeId}:`) && !k.endsWith(':leases'));
    if (!key) return null;
    const [spent, reserved] = await redis.hmget(key, 'spent', 'reserved');
    return { spent: Number(spent), reserved: Number(reserved) };
  }

  it('admits exactly five of 50 concurrent calls against a budget of five worst cases, over two instances', async () => {
    // Even after the five admitted calls settle, what they gave back cannot fit a sixth: the
    // outcome does not depend on how the 50 calls interleave.
    expect(5 * (RESERVE - actualCost)).toBeLessThan(RESERVE);
    const tenant = await h.createTenant();
    const limit = 5 * RESERVE;
    await h.setBudget(tenant.tenantId, limit);

    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) => call(tenant, i, i % 3 === 0)),
    );
    const succeeded = outcomes.filter((o) => o.ok);
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
    expect(succeeded).toHaveLength(5);
    expect(refused).toHaveLength(45);
    for (const error of refused) {
      expect(error.status).toBe(402);
      expect(error.code).toBe('budget_exceeded');
      expect(error.error).toMatchObject({
        code: 'budget_exceeded',
        type: 'insufficient_quota',
        param: null,
        message: 'the tenant budget does not cover this call',
      });
    }

    // The raw wire shape of a refusal (OpenAI's error envelope).
    const raw = await postChat(h.url(1), tenant.key, REQUEST);
    expect(raw.status).toBe(402);
    expect(raw.headers.get('content-type')).toContain('application/json');
    expect(raw.body).toEqual({
      error: {
        message: expect.any(String),
        type: 'insufficient_quota',
        code: 'budget_exceeded',
        param: null,
        request_id: raw.headers.get('x-request-id'),
      },
    });

    await h.drainEvents();
    const events = await h.events(tenant.tenantId);
    const billed = events.filter((e) => e.status === 'SUCCEEDED');
    expect(billed).toHaveLength(5);
    expect(events.filter((e) => e.error_code === 'budget_exceeded')).toHaveLength(46);
    expect(events.filter((e) => e.status === 'FAILED').every((e) => e.cost_micros === '0')).toBe(
      true,
    );
    const spent = await billedMicros(h, tenant.tenantId);
    expect(spent).toBe(5 * actualCost);
    expect(spent).toBeLessThanOrEqual(limit);
    // Redis agrees with Postgres, and nothing is left reserved.
    expect(await counter(tenant, 'tenant', tenant.tenantId)).toEqual({ spent, reserved: 0 });
  });

  it('never bills more than the limit across repeated waves of concurrent calls', async () => {
    const tenant = await h.createTenant();
    const limit = 7 * RESERVE + 3; // not a multiple of anything in particular
    await h.setBudget(tenant.tenantId, limit);
    let succeeded = 0;
    for (let wave = 0; wave < 4; wave += 1) {
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, (_, i) => call(tenant, i + wave, i % 2 === 0)),
      );
      succeeded += outcomes.filter((o) => o.ok).length;
      for (const o of outcomes) if (!o.ok) expect(o.error.code).toBe('budget_exceeded');
    }
    await h.drainEvents();
    const spent = await billedMicros(h, tenant.tenantId);
    expect(spent).toBe(succeeded * actualCost);
    expect(spent).toBeLessThanOrEqual(limit);
    // Once refused, always refused: what is left cannot hold one more worst case.
    expect(limit - spent).toBeLessThan(RESERVE);
  });

  it('stores exactly one soft-threshold alert per period once spend crosses 80%', async () => {
    const tenant = await h.createTenant();
    const limit = 40 * RESERVE;
    await h.setBudget(tenant.tenantId, limit, 'MONTHLY', 80);
    const alerts = () =>
      h.sql<Record<string, any>>(`select * from budget_alerts where tenant_id = $1`, [
        tenant.tenantId,
      ]);

    // Calls until settled spend reaches 80% (the alert comes with the next admission).
    let spent = 0;
    let i = 0;
    while (spent * 100 < limit * 80) {
      const outcome = await call(tenant, i++);
      if (!outcome.ok) throw outcome.error;
      spent += outcome.cost;
    }
    expect(await alerts()).toHaveLength(0);

    // Several admissions after the crossing, concurrently over both instances: one alert.
    const after = await Promise.all([0, 1, 2, 3].map((n) => call(tenant, n)));
    expect(after.filter((o) => o.ok).length).toBeGreaterThan(0);
    const [alert] = await eventually(async () => {
      const rows = await alerts();
      return rows.length > 0 ? rows : undefined;
    }, 'the budget alert row');
    expect(alert).toMatchObject({
      scope: 'tenant',
      scope_id: tenant.tenantId,
      threshold_pct: 80,
      limit_micros: String(limit),
      spent_micros: String(spent),
    });
    const now = new Date();
    expect(new Date(alert.period_start).toISOString()).toBe(
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
    );

    // Later admissions in the period report nothing more.
    const later = await Promise.all([0, 1].map((n) => call(tenant, n)));
    expect(later.every((o) => o.ok)).toBe(true);
    await h.drainEvents();
    expect(await alerts()).toHaveLength(1);
  });

  it('raises the alert even when the call that crosses 80% exhausts the budget', async () => {
    // Four calls fit, the fifth does not; the fourth settles at or above 80%. No admission
    // ever follows the crossing, yet the tenant must hear about it.
    const tenant = await h.createTenant();
    const limit = 4 * actualCost + RESERVE - 1;
    expect(4 * actualCost * 100).toBeGreaterThanOrEqual(limit * 80);
    expect(3 * actualCost * 100).toBeLessThan(limit * 80);
    await h.setBudget(tenant.tenantId, limit, 'MONTHLY', 80);
    for (let i = 0; i < 4; i += 1) {
      const outcome = await call(tenant, i);
      if (!outcome.ok) throw outcome.error;
    }
    const refused = await call(tenant, 0);
    expect(refused.ok).toBe(false);
    const rows = await eventually(async () => {
      const found = await h.sql(`select * from budget_alerts where tenant_id = $1`, [
        tenant.tenantId,
      ]);
      return found.length > 0 ? found : undefined;
    }, 'the budget alert row');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ threshold_pct: 80, spent_micros: String(4 * actualCost) });
  });

  it('limits only the API key a key budget belongs to; the tenant budget still applies to all', async () => {
    const tenant = await h.createTenant();
    const other = await addApiKey(h, tenant.tenantId);
    await setKeyBudget(h, tenant.tenantId, tenant.keyId, 2 * RESERVE);
    expect(2 * (RESERVE - actualCost)).toBeLessThan(RESERVE);

    // The budgeted key: exactly two of six concurrent calls, refused on its own budget.
    const limited = await Promise.all(Array.from({ length: 6 }, (_, i) => call(tenant, i)));
    expect(limited.filter((o) => o.ok)).toHaveLength(2);
    for (const o of limited) {
      if (!o.ok) {
        expect(o.error.status).toBe(402);
        expect(o.error.code).toBe('budget_exceeded');
        expect(o.error.message).toContain('apiKey budget');
      }
    }
    // The tenant's other key is not limited by it.
    const free = await Promise.all(
      Array.from({ length: 6 }, (_, i) => call({ key: other.key }, i, i % 2 === 1)),
    );
    expect(free.every((o) => o.ok)).toBe(true);

    await h.drainEvents();
    const events = await h.events(tenant.tenantId);
    const spentBy = (keyId: string) =>
      events
        .filter((e) => e.api_key_id === keyId)
        .reduce((sum, e) => sum + Number(e.cost_micros), 0);
    expect(spentBy(tenant.keyId)).toBe(2 * actualCost);
    expect(spentBy(tenant.keyId)).toBeLessThanOrEqual(2 * RESERVE);
    expect(spentBy(other.keyId)).toBe(6 * actualCost);
    expect(await counter(tenant, 'apiKey', tenant.keyId)).toEqual({
      spent: 2 * actualCost,
      reserved: 0,
    });

    // A tenant budget on top: both apply. 8 calls spent so far; room for exactly two more.
    await h.setBudget(tenant.tenantId, 8 * actualCost + 2 * RESERVE, 'MONTHLY', 0);
    await setKeyBudget(h, tenant.tenantId, tenant.keyId, 2 * RESERVE);
    expect((await call(tenant, 0)).ok).toBe(false); // its key budget is spent
    const rest = [];
    for (let i = 0; i < 4; i += 1) rest.push(await call({ key: other.key }, i));
    expect(rest.filter((o) => o.ok)).toHaveLength(2);
    const last = rest.at(-1)!;
    expect(last.ok || last.error.message).toContain('tenant budget');
  });
});
