// The gateway with no REDIS_URL (what `npm start` runs): budgets, rate limits and idempotency in
// process, usage events written to Postgres by the in-process queue. Real Postgres, the official
// openai SDK, the simulated provider.
import { estimatePromptTokens, ModelCatalog, worstCaseCost } from '@gnomon/llm';
import OpenAI from 'openai';
import { randomUUID } from 'node:crypto';
import { GatewayHarness } from '../testing/gateway-harness';
import { REDIS } from './tokens';

const REQUEST = {
  model: 'simulated/sim-small',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_completion_tokens: 20,
};

/** The worst-case cost the gateway reserves for REQUEST. */
function reservation(): number {
  const entry = new ModelCatalog().find('simulated', 'sim-small');
  if (!entry) throw new Error('simulated/sim-small is not in the catalog');
  return worstCaseCost(entry, estimatePromptTokens(REQUEST), REQUEST.max_completion_tokens);
}

async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OpenAI.APIError) return error;
    throw error;
  }
  throw new Error('the call was not refused');
}

describe('llm-gateway in single-instance mode (no REDIS_URL)', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await GatewayHarness.start({ REDIS_URL: '' });
  });
  afterAll(async () => {
    await h?.close();
  });

  const rowsOf = (tenantId: string, count: number) =>
    eventually(async () => {
      const rows = await h.events(tenantId);
      return rows.length >= count ? rows : undefined;
    }, `${count} llm_events rows`);

  it('needs no Redis and says so on /readyz', async () => {
    expect(h.config.env.REDIS_URL).toBeUndefined();
    expect(h.instances[0].app.get(REDIS)).toBeNull();
    const response = await fetch(`${h.url()}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ready',
      checks: {
        database: 'ok',
        redis: 'not configured (single-instance mode)',
        providers: 'simulated',
      },
    });
  });

  it('serves calls through the official SDK and writes their usage events to llm_events by itself', async () => {
    const tenant = await h.createTenant();
    const client = h.client(tenant.key);
    const { data, response } = await client.chat.completions
      .create({ model: 'simulated/sim-small', messages: [{ role: 'user', content: 'Hello' }] })
      .withResponse();
    expect(data.choices[0].message.content).toContain('simulated');
    expect(response.headers.get('x-gnomon-simulated')).toBe('true');
    const cost = Number(response.headers.get('x-gnomon-cost-micros'));
    expect(cost).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      ...REQUEST,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);

    // No drain: the in-process writer persists the events off the request path.
    const rows = await rowsOf(tenant.tenantId, 2);
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => [r.status, r.stream, r.api_key_id])).toEqual([
      ['SUCCEEDED', false, tenant.keyId],
      ['SUCCEEDED', true, tenant.keyId],
    ]);
    expect(Number(rows[0].cost_micros)).toBe(cost);
    expect(rows[0].request_id).toBe(response.headers.get('x-request-id'));
  });

  it('enforces a budget: admits what fits, refuses the rest with budget_exceeded and records the refusal', async () => {
    const probe = await h.createTenant();
    const { response } = await h.client(probe.key).chat.completions.create(REQUEST).withResponse();
    const cost = Number(response.headers.get('x-gnomon-cost-micros'));
    const reserve = reservation();
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBeLessThanOrEqual(reserve);

    // Room for two calls' real cost plus one more reservation, minus one micro-dollar: the third
    // call's reservation no longer fits.
    const tenant = await h.createTenant();
    await h.setBudget(tenant.tenantId, 2 * cost + reserve - 1);
    const client = h.client(tenant.key);
    await client.chat.completions.create(REQUEST);
    await client.chat.completions.create(REQUEST);
    const refused = await refusal(client.chat.completions.create(REQUEST));
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });

    await h.drainEvents();
    const rows = await h.events(tenant.tenantId);
    expect(rows.map((r) => [r.status, r.error_code])).toEqual([
      ['SUCCEEDED', null],
      ['SUCCEEDED', null],
      ['FAILED', 'budget_exceeded'],
    ]);
    expect(rows.reduce((sum, r) => sum + Number(r.cost_micros), 0)).toBe(2 * cost);
  });

  it('starts budget counters from what llm_events already holds for the period', async () => {
    const tenant = await h.createTenant();
    await h.sql(
      `insert into llm_events (id, tenant_id, request_id, model, status, cost_micros, latency_ms, created_at)
       values ($1, $2, 'earlier', 'simulated/sim-small', 'SUCCEEDED', $3, 1, now())`,
      [randomUUID(), tenant.tenantId, 1_000_000],
    );
    await h.setBudget(tenant.tenantId, 1_000_000 + reservation() - 1);
    const refused = await refusal(h.client(tenant.key).chat.completions.create(REQUEST));
    expect(refused).toMatchObject({ status: 402, code: 'budget_exceeded' });
  });

  it('limits requests per minute, with the x-ratelimit headers', async () => {
    const tenant = await h.createTenant();
    await h.setLimits(tenant.tenantId, { rpm: 2 });
    const client = h.client(tenant.key);
    const first = await client.chat.completions.create(REQUEST).withResponse();
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    await client.chat.completions.create(REQUEST);
    const limited = await refusal(client.chat.completions.create(REQUEST));
    expect(limited).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(limited.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('replays an Idempotency-Key without billing twice', async () => {
    const tenant = await h.createTenant();
    const client = h.client(tenant.key);
    const idempotency = { headers: { 'Idempotency-Key': `k-${randomUUID()}` } };
    const first = await client.chat.completions.create(REQUEST, idempotency).withResponse();
    const again = await client.chat.completions.create(REQUEST, idempotency).withResponse();
    expect(again.data.id).toBe(first.data.id);
    expect(again.data.choices[0].message.content).toBe(first.data.choices[0].message.content);
    expect(again.response.headers.get('x-gnomon-idempotent-replay')).toBe('true');
    const other = await refusal(
      client.chat.completions.create(
        { ...REQUEST, messages: [{ role: 'user', content: 'something else' }] },
        idempotency,
      ),
    );
    expect(other).toMatchObject({ status: 400, code: 'invalid_request' });

    await h.drainEvents();
    expect(await h.events(tenant.tenantId)).toHaveLength(1);
  });

  it('writes the queued usage events when the gateway shuts down', async () => {
    const url = await h.addInstance();
    const instance = h.instances.findIndex((i) => i.url === url);
    const tenant = await h.createTenant();
    await h.client(tenant.key, instance).chat.completions.create(REQUEST);
    const [{ app }] = h.instances.splice(instance, 1);
    await app.close();
    expect(await h.events(tenant.tenantId)).toHaveLength(1);
  });
});
