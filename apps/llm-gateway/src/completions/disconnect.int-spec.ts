import { budgetPeriodAt, GovernanceKeys } from '@gnomon/governance';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import OpenAI from 'openai';
import { REDIS } from '../platform/tokens';
import { GatewayHarness, type TestTenant } from '../testing/gateway-harness';
import {
  breakerStates,
  createPlatformAdminKey,
  resetBreakers,
  routedTenant,
  settledEvents,
  sseFrames,
  startFakeProviders,
  waitFor,
  type FakeProviders,
} from '../testing/provider-fakes-fixture';

/**
 * What one TCP connection from the gateway to the OpenAI fake carried, seen by a tap in between
 * (the fake itself records requests, not connections).
 */
interface TapConnection {
  fromGateway: string;
  fromUpstream: string;
  gatewayClosed: boolean;
  upstreamClosed: boolean;
  /** The gateway dropped the connection while the fake was still answering. */
  closedByGateway: boolean;
}

/** A TCP pass-through that records every connection. */
async function startTap(target: string): Promise<{
  url: string;
  connections: TapConnection[];
  close(): Promise<void>;
}> {
  const { hostname, port } = new URL(target);
  const connections: TapConnection[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((gateway) => {
    const record: TapConnection = {
      fromGateway: '',
      fromUpstream: '',
      gatewayClosed: false,
      upstreamClosed: false,
      closedByGateway: false,
    };
    connections.push(record);
    const upstream = connect(Number(port), hostname);
    for (const socket of [gateway, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    gateway.on('data', (data: Buffer) => {
      record.fromGateway += data.toString('utf8');
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      record.fromUpstream += data.toString('utf8');
      gateway.write(data);
    });
    gateway.on('close', () => {
      record.gatewayClosed = true;
      if (!record.upstreamClosed) record.closedByGateway = true;
      upstream.destroy();
    });
    upstream.on('close', () => {
      record.upstreamClosed = true;
      gateway.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** 60 words: a stream of 60 content chunks (plus role and finish), one every 30 ms. */
const LONG_ANSWER = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');
const FULL_ANSWER_TOKENS = Math.ceil(LONG_ANSWER.length / 4);

describe('a client that disconnects mid-stream', () => {
  let h: GatewayHarness;
  let fakes: FakeProviders;
  let tap: Awaited<ReturnType<typeof startTap>>;
  let adminKey: string;

  beforeAll(async () => {
    fakes = await startFakeProviders();
    tap = await startTap(fakes.openai.url);
    h = await GatewayHarness.start({ ...fakes.env, OPENAI_BASE_URL: tap.url });
    adminKey = await createPlatformAdminKey(h);
  });
  afterEach(() => {
    fakes.reset();
    resetBreakers(h);
  });
  afterAll(async () => {
    await h.close();
    await tap.close();
    await fakes.close();
  });

  /** A routed tenant with a monthly budget, so that spend is tracked in Redis. */
  async function budgetedTenant(): Promise<TestTenant> {
    const tenant = await routedTenant(h);
    await h.setBudget(tenant.tenantId, 50_000_000);
    return tenant;
  }

  /** The tenant's budget counter for this month: settled spend and open reservations. */
  async function budgetCounter(tenantId: string) {
    const redis = h.instances[0].app.get<Redis>(REDIS);
    const key = new GovernanceKeys(h.config.env.GNOMON_REDIS_PREFIX).budget(tenantId, {
      scope: 'tenant',
      scopeId: tenantId,
      ...budgetPeriodAt('MONTHLY', Date.now()),
    });
    const [spent, reserved] = await redis.hmget(key, 'spent', 'reserved');
    return { spent: Number(spent), reserved: Number(reserved) };
  }

  /** The tap connection that carried the request with this marker in its prompt. */
  function connectionOf(marker: string): Promise<TapConnection> {
    return waitFor(
      () => Promise.resolve(tap.connections.find((c) => c.fromGateway.includes(marker))),
      'the upstream connection',
    );
  }

  /** Asserts the ABORTED event, its billing and the budget spend; returns the event. */
  async function expectBilledAbort(tenant: TestTenant, clientText: string) {
    const [event] = await settledEvents(h, tenant.tenantId);
    expect(event).toMatchObject({
      status: 'ABORTED',
      error_code: 'client_disconnected',
      stream: true,
      provider: 'openai',
      attempts: 1,
    });
    // Billed for what was generated so far: at least what the client got, far from all of it.
    expect(event.output_tokens).toBeGreaterThanOrEqual(Math.ceil(clientText.length / 4));
    expect(event.output_tokens).toBeLessThan(FULL_ANSWER_TOKENS);
    expect(event.input_tokens).toBeGreaterThan(0);
    const cost = Number(event.cost_micros);
    expect(cost).toBeGreaterThan(0);
    // The governance budget holds exactly that cost, and the reservation is gone.
    expect(await budgetCounter(tenant.tenantId)).toEqual({ spent: cost, reserved: 0 });
    return event;
  }

  it('aborts the upstream call, records ABORTED and bills the tokens generated (fetch + AbortController)', async () => {
    const tenant = await budgetedTenant();
    const marker = randomUUID();
    fakes.openai.script({ kind: 'ok', content: LONG_ANSWER, chunkDelayMs: 30 });

    const controller = new AbortController();
    const response = await fetch(`${h.url()}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'main',
        stream: true,
        messages: [{ role: 'user', content: `Count for me (${marker})` }],
      }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-gnomon-provider')).toBe('openai');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let raw = '';
    const contentOf = (text: string) =>
      sseFrames(text)
        .filter((f) => f.event === null && f.data !== '[DONE]')
        .map((f) => (JSON.parse(f.data) as OpenAI.ChatCompletionChunk).choices[0]?.delta.content)
        .filter(Boolean)
        .join('');
    // Read until three words have arrived (frames end with a blank line), then hang up.
    while (contentOf(raw.slice(0, raw.lastIndexOf('\n\n') + 2)).split(' ').length < 4) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before the client hung up');
      raw += decoder.decode(value, { stream: true });
    }
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const clientText = contentOf(raw.slice(0, raw.lastIndexOf('\n\n') + 2));
    expect(clientText.startsWith('word0 word1 word2 ')).toBe(true);

    // The gateway dropped its connection to the provider before the answer was complete.
    const upstream = await connectionOf(marker);
    await waitFor(
      () => Promise.resolve(upstream.gatewayClosed || undefined),
      'the gateway to close its upstream connection',
    );
    expect(upstream.closedByGateway).toBe(true);
    expect(upstream.fromUpstream).not.toContain('[DONE]');
    expect(upstream.fromUpstream).not.toContain('"finish_reason":"stop"');
    expect(upstream.fromUpstream).not.toContain('word59');

    await expectBilledAbort(tenant, clientText);
    // No retry, no failover for a client that left; and it is no fault of the provider.
    expect(fakes.openai.requests).toHaveLength(1);
    expect(fakes.anthropic.requests).toHaveLength(0);
    expect((await breakerStates(h, adminKey)).openai.stats.failures).toBe(0);
  });

  it('does the same when the openai SDK client stops reading (break aborts its request)', async () => {
    const tenant = await budgetedTenant();
    const marker = randomUUID();
    fakes.openai.script({ kind: 'ok', content: LONG_ANSWER, chunkDelayMs: 30 });

    const stream = await h.client(tenant.key).chat.completions.create({
      model: 'main',
      stream: true,
      messages: [{ role: 'user', content: `Count for me (${marker})` }],
    });
    let clientText = '';
    let words = 0;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (!piece) continue;
      clientText += piece;
      words += 1;
      if (words === 3) break;
    }
    expect(stream.controller.signal.aborted).toBe(true);
    expect(clientText).toBe('word0 word1 word2 ');

    const upstream = await connectionOf(marker);
    await waitFor(
      () => Promise.resolve(upstream.gatewayClosed || undefined),
      'the gateway to close its upstream connection',
    );
    expect(upstream.closedByGateway).toBe(true);
    expect(upstream.fromUpstream).not.toContain('[DONE]');

    await expectBilledAbort(tenant, clientText);
    expect(fakes.anthropic.requests).toHaveLength(0);
  });

  it('stops failover and bills nothing when the client leaves before the first token', async () => {
    const tenant = await budgetedTenant();
    // Headers only after 300 ms: the client gives up while the gateway waits.
    fakes.openai.script({ kind: 'ok', delayMs: 300 });
    const controller = new AbortController();
    const pending = fetch(`${h.url()}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tenant.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'main',
        stream: true,
        messages: [{ role: 'user', content: 'Anyone there?' }],
      }),
      signal: controller.signal,
    });
    await waitFor(
      () => Promise.resolve(fakes.openai.requests.length === 1 || undefined),
      'the upstream request',
    );
    controller.abort();
    await expect(pending).rejects.toThrow();

    const [event] = await settledEvents(h, tenant.tenantId);
    expect(event).toMatchObject({
      status: 'ABORTED',
      error_code: 'client_disconnected',
      output_tokens: 0,
      attempts: 1,
    });
    expect(Number(event.cost_micros)).toBe(0);
    expect(await budgetCounter(tenant.tenantId)).toEqual({ spent: 0, reserved: 0 });
    expect(fakes.openai.requests).toHaveLength(1);
    expect(fakes.anthropic.requests).toHaveLength(0);
  });
});
