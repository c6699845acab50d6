import { startOpenAiFake, type OpenAiFake } from '@gnomon/testing';
import OpenAI from 'openai';
import { GatewayHarness } from '../testing/gateway-harness';

describe('POST /v1/chat/completions with the official openai SDK', () => {
  let h: GatewayHarness;
  let openai: OpenAiFake;

  beforeAll(async () => {
    openai = await startOpenAiFake();
    h = await GatewayHarness.start({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: openai.url });
  });
  afterAll(async () => {
    await h.close();
    await openai.close();
  });

  it('answers a non-streaming call from the simulated provider, labelled and billed', async () => {
    const tenant = await h.createTenant();
    const { data, response } = await h
      .client(tenant.key)
      .chat.completions.create({
        model: 'simulated/sim-small',
        messages: [{ role: 'user', content: 'Hello there' }],
      })
      .withResponse();
    expect(data.choices[0].message.content).toContain('simulated');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-gnomon-provider')).toBe('simulated');
    expect(response.headers.get('x-gnomon-simulated')).toBe('true');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const cost = Number(response.headers.get('x-gnomon-cost-micros'));
    expect(cost).toBeGreaterThan(0);

    await h.drainEvents();
    const events = await h.events(tenant.tenantId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      status: 'SUCCEEDED',
      provider: 'simulated',
      simulated: true,
      api_key_id: tenant.keyId,
    });
    expect(Number(events[0].cost_micros)).toBe(cost);
    expect(events[0].request_id).toBe(response.headers.get('x-request-id'));
  });

  it('streams through the SDK with usage when asked', async () => {
    const tenant = await h.createTenant();
    const stream = await h.client(tenant.key).chat.completions.create({
      model: 'simulated/sim-small',
      messages: [{ role: 'user', content: 'Stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    await h.drainEvents();
    const [event] = await h.events(tenant.tenantId);
    expect(event).toMatchObject({ status: 'SUCCEEDED', stream: true });
    expect(event.ttft_ms).not.toBeNull();
  });

  it('passes calls to an OpenAI-compatible upstream and reports its provider', async () => {
    const tenant = await h.createTenant();
    openai.script({ kind: 'ok', content: 'from upstream' });
    const { data, response } = await h
      .client(tenant.key)
      .chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      })
      .withResponse();
    expect(data.choices[0].message.content).toBe('from upstream');
    expect(response.headers.get('x-gnomon-provider')).toBe('openai');
    expect(openai.requests.at(-1)?.body).toMatchObject({ model: 'gpt-4o-mini' });
  });

  it('rejects bad requests with invalid_request and bills nothing', async () => {
    const tenant = await h.createTenant();
    const client = h.client(tenant.key);
    await expect(
      client.chat.completions.create({ model: 'simulated/sim-small', messages: [] }),
    ).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
    });
    await expect(
      client.chat.completions.create({
        model: 'simulated/sim-small',
        messages: [{ role: 'wizard', content: 'x' }],
      } as never),
    ).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
    await expect(
      client.chat.completions.create({
        model: 'nope-model',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'invalid_request', param: 'model' });
    await h.drainEvents();
    const rows = await h.sql<{ total: string | null }>(
      `select sum(cost_micros) as total from llm_events where tenant_id = $1`,
      [tenant.tenantId],
    );
    expect(Number(rows[0].total ?? 0)).toBe(0);
  });

  it('refuses keys without llm:invoke and unknown keys', async () => {
    const tenant = await h.createTenant(['runs:read']);
    await expect(
      h.client(tenant.key).chat.completions.create({
        model: 'simulated/sim-small',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 403, code: 'permission_denied' });
    await expect(
      h.client('gnm_nope').chat.completions.create({
        model: 'simulated/sim-small',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('lists the models a tenant may use, honouring its allowlist', async () => {
    const tenant = await h.createTenant();
    await h.setRoutes(tenant.tenantId, { allowedModels: ['simulated/sim-small'], routes: {} });
    const models = await h.client(tenant.key).models.list();
    const ids = models.data.map((m) => m.id);
    expect(ids).toContain('simulated/sim-small');
    expect(ids).not.toContain('openai/gpt-4o-mini');
    await expect(
      h.client(tenant.key).chat.completions.create({
        model: 'openai/gpt-4o-mini',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
  });

  it('accepts the service credential with tenant and run/step attribution, under the same governance', async () => {
    const tenant = await h.createTenant();
    const service = h.client(h.config.secrets.serviceToken, 0, {
      defaultHeaders: {
        'x-gnomon-tenant': tenant.tenantId,
        'x-gnomon-run-id': 'run-42',
        'x-gnomon-step-id': 'step-7',
      },
    });
    const answer = await service.chat.completions.create({
      model: 'simulated/sim-small',
      messages: [{ role: 'user', content: 'from the orchestrator' }],
    });
    expect(answer.choices[0].message.content).toBeTruthy();
    await h.drainEvents();
    const [event] = await h.events(tenant.tenantId);
    expect(event).toMatchObject({
      run_id: 'run-42',
      step_id: 'step-7',
      api_key_id: null,
      status: 'SUCCEEDED',
    });

    await h.setBudget(tenant.tenantId, 1);
    await expect(
      service.chat.completions.create({
        model: 'simulated/sim-small',
        messages: [{ role: 'user', content: 'again' }],
      }),
    ).rejects.toMatchObject({ status: 402, code: 'budget_exceeded' });
    const noTenant = h.client(h.config.secrets.serviceToken);
    await expect(
      noTenant.chat.completions.create({
        model: 'simulated/sim-small',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'invalid_request' });
  });
});
