import {
  BreakerBoard,
  breakerBoardKey,
  summarizeBreakerReports,
  type BreakerReport,
} from '@gnomon/governance';
import { redisTestUrl } from '@gnomon/testing';
import { Redis } from 'ioredis';
import { GatewayHarness, type TestTenant } from '../testing/gateway-harness';
import {
  routedTenant,
  startFakeProviders,
  waitFor,
  type FakeProviders,
} from '../testing/provider-fakes-fixture';
import { BreakerStatePublisher } from './breaker-state.publisher';

const REPORT_MS = 60_000; // the heartbeat never fires during a test: transitions publish

describe('breaker states on the breaker board (Redis)', () => {
  let h: GatewayHarness;
  let fakes: FakeProviders;
  let tenant: TestTenant;
  let redis: Redis;
  let board: BreakerBoard;

  beforeAll(async () => {
    fakes = await startFakeProviders();
    h = await GatewayHarness.start({
      ...fakes.env,
      GNOMON_MAX_ATTEMPTS_PER_PROVIDER: '2',
      GNOMON_BREAKER_VOLUME: '2',
      GNOMON_BREAKER_ERROR_PERCENT: '50',
      GNOMON_BREAKER_RESET_MS: '300',
      GNOMON_BREAKER_REPORT_MS: String(REPORT_MS),
    });
    tenant = await routedTenant(h);
    redis = new Redis(redisTestUrl());
    board = new BreakerBoard(redis, breakerBoardKey(h.config.env.GNOMON_REDIS_PREFIX));
  });
  afterEach(() => fakes.reset());
  afterAll(async () => {
    await h.close();
    await fakes.close();
    await redis.del(board.key);
    redis.disconnect();
  });

  const publisher = (instance = 0) =>
    h.instances[instance].app.get(BreakerStatePublisher, { strict: false });

  /** The live report of one instance, by provider. */
  async function reported(instance = 0): Promise<Record<string, BreakerReport['providers'][0]>> {
    const id = publisher(instance).instanceId;
    const report = (await board.live(Date.now())).find((r) => r.instanceId === id);
    return Object.fromEntries((report?.providers ?? []).map((p) => [p.provider, p]));
  }

  const waitForState = (provider: string, state: string) =>
    waitFor(
      async () => ((await reported())[provider]?.state === state ? true : undefined),
      `${provider} reported ${state}`,
    );

  const call = () =>
    h.client(tenant.key).chat.completions.create({
      model: 'main',
      messages: [{ role: 'user', content: 'Ping?' }],
    });

  it('reports every configured provider as closed once it has started, for three intervals', async () => {
    const before = Date.now();
    const live = await board.live(Date.now());
    const own = live.find((r) => r.instanceId === publisher().instanceId);
    expect(own).toBeDefined();
    expect(own?.expiresAt).toBe((own?.reportedAt ?? 0) + 3 * REPORT_MS);
    expect(own?.reportedAt).toBeLessThanOrEqual(before);
    const states = await reported();
    for (const provider of ['openai', 'anthropic', 'gemini'])
      expect(states[provider]).toEqual({ provider, state: 'closed', coolingDownUntil: null });
    // the hash outlives a crashed deployment by a day at most
    expect(await redis.pttl(board.key)).toBeGreaterThan(0);
  });

  it('publishes each transition as it happens: open, half-open (on its timer), closed', async () => {
    fakes.openai.script({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await call(); // both attempts fail on OpenAI: its breaker opens; Anthropic answers
    await waitForState('openai', 'open');
    await waitForState('openai', 'half_open'); // no call needed: opossum's reset timer
    await call(); // the probe succeeds
    await waitForState('openai', 'closed');
  });

  it('publishes a cool-down after a 429 with Retry-After, with its end', async () => {
    fakes.openai.script({ kind: 'status', status: 429, retryAfter: 30 });
    const started = Date.now();
    await call();
    await waitForState('openai', 'cooling_down');
    const until = Date.parse((await reported()).openai.coolingDownUntil ?? '');
    expect(until).toBeGreaterThan(started + 25_000);
  });

  it('every instance reports its own breakers; a stopped instance withdraws its report', async () => {
    await h.addInstance();
    const second = publisher(1).instanceId;
    expect(second).not.toBe(publisher(0).instanceId);
    const both = await board.live(Date.now());
    expect(both.map((r) => r.instanceId).sort()).toEqual([publisher(0).instanceId, second].sort());
    // instance 0 still has OpenAI cooling down; instance 1 has it closed: the worst wins
    expect(summarizeBreakerReports(both).find((s) => s.provider === 'openai')).toMatchObject({
      state: 'open',
      instances: 2,
    });

    const stopped = h.instances.pop();
    await stopped?.app.close();
    const left = await board.live(Date.now());
    expect(left.map((r) => r.instanceId)).toEqual([publisher(0).instanceId]);
  });

  it('prune drops the reports of instances that stopped reporting, and only those', async () => {
    const now = Date.now();
    await board.publish({
      instanceId: 'crashed-long-ago',
      reportedAt: now - 10 * REPORT_MS,
      expiresAt: now - 7 * REPORT_MS,
      providers: [{ provider: 'openai', state: 'open', coolingDownUntil: null }],
    });
    await redis.hset(board.key, 'garbage', 'not a report');
    expect(await board.prune(now)).toBe(2);
    expect(Object.keys(await redis.hgetall(board.key))).toEqual([publisher(0).instanceId]);
  });
});

describe('breaker states without Redis (single-instance mode)', () => {
  it('starts and stops cleanly, publishing nothing (the control plane reports unknown)', async () => {
    const h = await GatewayHarness.start({ REDIS_URL: '' });
    const redis = new Redis(redisTestUrl());
    try {
      expect(h.config.env.REDIS_URL).toBeUndefined();
      const key = breakerBoardKey(h.config.env.GNOMON_REDIS_PREFIX);
      expect(await redis.exists(key)).toBe(0);
    } finally {
      redis.disconnect();
      await h.close();
    }
  });
});
