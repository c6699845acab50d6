import { estimatePromptTokens } from '@gnomon/llm';
import { GatewayHarness } from '../testing/gateway-harness';
import { postChat, type RawResponse } from '../testing/governance-fixtures';

const REQUEST = {
  model: 'simulated/sim-small',
  messages: [{ role: 'user' as const, content: 'hi' }],
  max_completion_tokens: 20,
};
/** What admission counts against tokens-per-minute before the call: prompt estimate + bound. */
const ESTIMATED_TOKENS = estimatePromptTokens(REQUEST) + REQUEST.max_completion_tokens;
const DURATION = /^(\d+ms|(\d+h)?(\d+m)?\d+(\.\d+)?s)$/;

function expectRateLimited(response: RawResponse, limit: string): void {
  expect(response.status).toBe(429);
  expect(response.body).toEqual({
    error: {
      message: `rate limit exceeded (${limit})`,
      type: 'rate_limit_error',
      code: 'rate_limit_exceeded',
      param: null,
      request_id: response.headers.get('x-request-id'),
    },
  });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

describe('rate limits at the gateway (real Redis, two instances)', () => {
  let h: GatewayHarness;

  beforeAll(async () => {
    h = await GatewayHarness.start();
    await h.addInstance();
  });
  afterAll(async () => {
    await h?.close();
  });

  const across = (key: string, n: number, body: Record<string, unknown> = REQUEST) =>
    Promise.all(
      Array.from({ length: n }, (_, i) => postChat(h.url(i % h.instances.length), key, body)),
    );

  it('holds a tenant RPM limit across two instances: 5 of 12 concurrent calls, 429s with headers', async () => {
    const tenant = await h.createTenant();
    await h.setLimits(tenant.tenantId, { rpm: 5 });
    const responses = await across(tenant.key, 12);

    const ok = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status !== 200);
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(7);
    // Each admission saw the shared window: the remaining counts are 4, 3, 2, 1, 0.
    expect(ok.map((r) => r.headers.get('x-ratelimit-remaining-requests')).sort()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    for (const r of ok) {
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('5');
      expect(r.headers.get('x-ratelimit-reset-requests')).toMatch(DURATION);
      expect(r.headers.get('x-ratelimit-limit-tokens')).toBeNull(); // no TPM configured
    }
    for (const r of refused) {
      expectRateLimited(r, 'tenant_rpm');
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('5');
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(r.headers.get('x-ratelimit-reset-requests')).toMatch(DURATION);
    }
    // The SDK surfaces the same refusal.
    await expect(h.client(tenant.key, 1).chat.completions.create(REQUEST)).rejects.toMatchObject({
      status: 429,
      code: 'rate_limit_exceeded',
      type: 'rate_limit_error',
    });

    await h.drainEvents();
    const events = await h.events(tenant.tenantId);
    expect(events.filter((e) => e.status === 'SUCCEEDED')).toHaveLength(5);
    const limited = events.filter((e) => e.error_code === 'rate_limit_exceeded');
    expect(limited).toHaveLength(8);
    expect(limited.every((e) => e.status === 'FAILED' && e.cost_micros === '0')).toBe(true);
  });

  it('keys the per-user RPM limit by the request `user` field (else by the caller)', async () => {
    const tenant = await h.createTenant();
    await h.setLimits(tenant.tenantId, { userRpm: 2 });
    const [alice, bob, anonymous] = await Promise.all([
      across(tenant.key, 4, { ...REQUEST, user: 'alice' }),
      across(tenant.key, 2, { ...REQUEST, user: 'bob' }),
      across(tenant.key, 3),
    ]);
    expect(alice.filter((r) => r.status === 200)).toHaveLength(2);
    expect(bob.filter((r) => r.status === 200)).toHaveLength(2);
    expect(anonymous.filter((r) => r.status === 200)).toHaveLength(2);
    for (const r of [...alice, ...anonymous].filter((r) => r.status !== 200)) {
      expectRateLimited(r, 'user_rpm');
      expect(r.headers.get('x-ratelimit-limit-requests')).toBe('2');
      expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    }
    // No tenant-wide limit: a new user still gets through.
    expect((await postChat(h.url(1), tenant.key, { ...REQUEST, user: 'carol' })).status).toBe(200);

    await h.drainEvents();
    const events = await h.events(tenant.tenantId);
    const byUser = (user: string, status: string) =>
      events.filter((e) => e.user_id === user && e.status === status).length;
    expect(byUser('alice', 'SUCCEEDED')).toBe(2);
    expect(byUser('alice', 'FAILED')).toBe(2);
    expect(byUser('bob', 'SUCCEEDED')).toBe(2);
    expect(byUser(tenant.keyId, 'SUCCEEDED')).toBe(2);
  });

  it('enforces a tenant TPM limit on actual tokens once calls settle, across instances', async () => {
    const probe = await h.createTenant();
    const sample = await postChat(h.url(), probe.key, REQUEST);
    const actualTokens = sample.body.usage.total_tokens as number;
    expect(actualTokens).toBeLessThan(ESTIMATED_TOKENS);

    // Room for three calls only because settled calls count their actual tokens: by the
    // estimate alone, the third would not fit.
    const tpm = ESTIMATED_TOKENS + 2 * actualTokens;
    expect(3 * ESTIMATED_TOKENS).toBeGreaterThan(tpm);
    const tenant = await h.createTenant();
    await h.setLimits(tenant.tenantId, { tpm });

    for (let i = 0; i < 3; i += 1) {
      const r = await postChat(h.url(i % 2), tenant.key, REQUEST);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit-tokens')).toBe(String(tpm));
      expect(r.headers.get('x-ratelimit-remaining-tokens')).toBe(
        String(tpm - i * actualTokens - ESTIMATED_TOKENS),
      );
      expect(r.headers.get('x-ratelimit-limit-requests')).toBeNull(); // no RPM configured
    }
    const refused = await postChat(h.url(1), tenant.key, REQUEST);
    expectRateLimited(refused, 'tenant_tpm');
    expect(refused.headers.get('x-ratelimit-limit-tokens')).toBe(String(tpm));
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).toBe(
      String(tpm - 3 * actualTokens),
    );
    expect(refused.headers.get('x-ratelimit-reset-tokens')).toMatch(DURATION);

    // A call whose estimate alone exceeds the limit can never fit: retry after a whole window.
    const tooBig = await postChat(h.url(), tenant.key, {
      ...REQUEST,
      max_completion_tokens: tpm + 1,
    });
    expectRateLimited(tooBig, 'tenant_tpm');
    expect(tooBig.headers.get('retry-after')).toBe('60');
  });
});
