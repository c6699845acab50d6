import { startOpenAiFake, type OpenAiFake } from '@gnomon/testing';
import { randomUUID } from 'node:crypto';
import { GatewayHarness, type TestTenant } from '../testing/gateway-harness';
import {
  billedMicros,
  eventually,
  postChat,
  sseContent,
  sseData,
  type RawResponse,
} from '../testing/governance-fixtures';

const REQUEST = {
  model: 'simulated/sim-small',
  messages: [{ role: 'user' as const, content: 'Say something idempotent' }],
  max_completion_tokens: 30,
};
const UPSTREAM = {
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user' as const, content: 'hello upstream' }],
};
const REPLAY = 'x-gnomon-idempotent-replay';

describe('Idempotency-Key at the gateway', () => {
  let h: GatewayHarness;
  let openai: OpenAiFake;

  beforeAll(async () => {
    openai = await startOpenAiFake();
    h = await GatewayHarness.start({
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: openai.url,
      GNOMON_MAX_ATTEMPTS_PER_PROVIDER: '1',
    });
    await h.addInstance();
  });
  afterEach(() => openai.reset());
  afterAll(async () => {
    await h?.close();
    await openai?.close();
  });

  const newKey = () => `idem-${randomUUID()}`;
  const withKey = (
    tenant: TestTenant,
    key: string,
    body: Record<string, unknown> = REQUEST,
    instance = 0,
  ) => postChat(h.url(instance), tenant.key, body, { 'Idempotency-Key': key });

  async function settledEvents(tenant: TestTenant) {
    await h.drainEvents();
    return h.events(tenant.tenantId);
  }

  it('replays a non-streaming result (other instance too): same body, replay header, billed once, not rate-limited', async () => {
    const tenant = await h.createTenant();
    await h.setLimits(tenant.tenantId, { rpm: 1 });
    const key = newKey();
    const first = await withKey(tenant, key);
    expect(first.status).toBe(200);
    expect(first.headers.get(REPLAY)).toBeNull();

    const second = await withKey(tenant, key, REQUEST, 1);
    expect(second.status).toBe(200);
    expect(second.headers.get(REPLAY)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('x-gnomon-cost-micros')).toBe(
      first.headers.get('x-gnomon-cost-micros'),
    );
    expect(second.headers.get('x-request-id')).not.toBe(first.headers.get('x-request-id'));

    // Through the official SDK as well.
    const { data, response } = await h
      .client(tenant.key)
      .chat.completions.create(REQUEST, { headers: { 'Idempotency-Key': key } })
      .withResponse();
    expect(response.headers.get(REPLAY)).toBe('true');
    expect(data).toEqual(first.body);

    // The RPM limit of 1 is spent: a call without the key is refused, the replays were not.
    expect((await postChat(h.url(), tenant.key, REQUEST)).status).toBe(429);

    const events = await settledEvents(tenant);
    const succeeded = events.filter((e) => e.status === 'SUCCEEDED');
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]).toMatchObject({ idempotency_key: key, stream: false });
    expect(await billedMicros(h, tenant.tenantId)).toBe(
      Number(first.headers.get('x-gnomon-cost-micros')),
    );
  });

  it('replays a streamed result as a stream: same content, replay header, billed once', async () => {
    const tenant = await h.createTenant();
    const key = newKey();
    const body = { ...REQUEST, stream: true, stream_options: { include_usage: true } };
    const first = await withKey(tenant, key, body);
    expect(first.status).toBe(200);
    expect(first.headers.get(REPLAY)).toBeNull();
    expect(first.body).toContain('data: [DONE]');

    const second = await withKey(tenant, key, body, 1);
    expect(second.status).toBe(200);
    expect(second.headers.get('content-type')).toContain('text/event-stream');
    expect(second.headers.get(REPLAY)).toBe('true');
    expect(second.body).toContain('data: [DONE]');
    expect(sseContent(second.body as string)).toBe(sseContent(first.body as string));
    expect(sseContent(first.body as string).length).toBeGreaterThan(0);
    const firstChunks = sseData(first.body as string);
    const replayChunks = sseData(second.body as string);
    expect(replayChunks[0].id).toBe(firstChunks[0].id);
    expect(replayChunks.at(-1).usage).toEqual(firstChunks.at(-1).usage);

    const events = await settledEvents(tenant);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ status: 'SUCCEEDED', stream: true, idempotency_key: key });
  });

  it('refuses the same key with a different body (400 invalid_request) and scopes keys per tenant', async () => {
    const tenant = await h.createTenant();
    const key = newKey();
    expect((await withKey(tenant, key)).status).toBe(200);
    const changed = await withKey(tenant, key, {
      ...REQUEST,
      messages: [{ role: 'user', content: 'something else' }],
    });
    expect(changed.status).toBe(400);
    expect(changed.body.error).toMatchObject({
      code: 'invalid_request',
      type: 'invalid_request_error',
      param: 'Idempotency-Key',
    });
    expect(changed.body.error.message).toContain('different request');
    // Streaming is part of the request too.
    expect((await withKey(tenant, key, { ...REQUEST, stream: true })).status).toBe(400);

    // Another tenant's identical key is its own.
    const other = await h.createTenant();
    const theirs = await withKey(other, key);
    expect(theirs.status).toBe(200);
    expect(theirs.headers.get(REPLAY)).toBeNull();

    expect(await settledEvents(tenant)).toHaveLength(1);
  });

  it('runs concurrent duplicates once: the others get in-progress or the replay', async () => {
    const tenant = await h.createTenant();
    const key = newKey();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => withKey(tenant, key, REQUEST, i % 2)),
    );
    const executed = responses.filter((r) => r.status === 200 && !r.headers.get(REPLAY));
    expect(executed).toHaveLength(1);
    for (const r of responses) {
      if (r.status === 200) {
        expect(r.body).toEqual(executed[0].body);
      } else {
        expectInProgress(r);
      }
    }
    const events = await settledEvents(tenant);
    expect(events).toHaveLength(1);
    expect(events[0].status).toBe('SUCCEEDED');
  });

  it('answers in-progress while the first call is still running, then replays it', async () => {
    const tenant = await h.createTenant();
    const key = newKey();
    openai.script({ kind: 'ok', content: 'slow answer', delayMs: 1_000 });
    const first = withKey(tenant, key, UPSTREAM);
    await eventually(() => (openai.requests.length > 0 ? true : undefined), 'the upstream call');
    const duplicate = await withKey(tenant, key, UPSTREAM, 1);
    expectInProgress(duplicate);
    const done = await first;
    expect(done.status).toBe(200);
    expect(done.body.choices[0].message.content).toBe('slow answer');
    const replay = await withKey(tenant, key, UPSTREAM, 1);
    expect(replay.headers.get(REPLAY)).toBe('true');
    expect(replay.body).toEqual(done.body);
    expect(openai.requests).toHaveLength(1);
    const events = await settledEvents(tenant);
    expect(events).toHaveLength(1);
  });

  it('does not let a refused or failed first attempt poison the key', async () => {
    const tenant = await h.createTenant();

    // Refused by the budget, then retried once the budget allows it.
    const budgetKey = newKey();
    await h.setBudget(tenant.tenantId, 1);
    const refused = await withKey(tenant, budgetKey);
    expect(refused.status).toBe(402);
    expect(refused.body.error.code).toBe('budget_exceeded');
    await h.setBudget(tenant.tenantId, 1_000_000);
    const retried = await withKey(tenant, budgetKey);
    expect(retried.status).toBe(200);
    expect(retried.headers.get(REPLAY)).toBeNull();

    // The provider fails (non-streaming), then succeeds on the retry.
    const failKey = newKey();
    openai.script({ kind: 'status', status: 400 });
    const failed = await withKey(tenant, failKey, UPSTREAM);
    expect(failed.status).toBeGreaterThanOrEqual(400);
    openai.script({ kind: 'ok', content: 'second time lucky' });
    const again = await withKey(tenant, failKey, UPSTREAM, 1);
    expect(again.status).toBe(200);
    expect(again.headers.get(REPLAY)).toBeNull();
    expect(again.body.choices[0].message.content).toBe('second time lucky');

    // A stream no provider could open, then a retry that streams.
    const streamKey = newKey();
    const streamed = { ...UPSTREAM, stream: true };
    openai.script({ kind: 'status', status: 400 });
    const notOpened = await withKey(tenant, streamKey, streamed);
    expect(notOpened.status).toBeGreaterThanOrEqual(400);
    openai.script({ kind: 'ok', content: 'streamed at last' });
    const reopened = await withKey(tenant, streamKey, streamed, 1);
    expect(reopened.status).toBe(200);
    expect(reopened.headers.get(REPLAY)).toBeNull();
    expect(sseContent(reopened.body as string)).toBe('streamed at last');

    const events = await settledEvents(tenant);
    const outcome = (key: string) =>
      events.filter((e) => e.idempotency_key === key).map((e) => e.status);
    expect(outcome(budgetKey)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(outcome(failKey)).toEqual(['FAILED', 'SUCCEEDED']);
    expect(outcome(streamKey)).toEqual(['FAILED', 'SUCCEEDED']);
  });
});

function expectInProgress(response: RawResponse): void {
  expect(response.status).toBe(400);
  expect(response.body.error).toMatchObject({
    code: 'invalid_request',
    param: 'Idempotency-Key',
  });
  expect(response.body.error.message).toContain('in progress');
  expect(response.headers.get('retry-after')).toBe('1');
}
