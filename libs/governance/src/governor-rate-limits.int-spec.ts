import { Governor } from './governor';
import type { AdmitResult, RateLimited } from './governor.types';
import {
  admitted,
  FakeSpendSource,
  request,
  T0,
  tenantBudget,
  useRedisHarness,
} from './testing/governor-fixtures';

const refused = (results: AdmitResult[]) =>
  results.filter((r): r is RateLimited => !r.ok && r.reason === 'rate_limit');

describe('Governor rate limits (real Redis)', () => {
  const h = useRedisHarness();
  const tenant = () => h.tenant();

  it('holds the tenant RPM across two instances with their own connections', async () => {
    const id = tenant();
    const a = new Governor(h.redis);
    const b = new Governor(h.redis2);
    const req = request(id, { limits: { tenantRpm: 10 } });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? a : b).admit(req)),
    );
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
    // The window slides: half a minute later the same requests are still in it…
    expect(await a.admit({ ...req, now: T0 + 30_000 })).toMatchObject({
      ok: false,
      retryAfterMs: 30_000,
    });
    // …and a minute later they have left it.
    expect(await b.admit({ ...req, now: T0 + 60_000 })).toMatchObject({ ok: true });
  });

  it('slides: requests leave the window one minute after they were made', async () => {
    const id = tenant();
    const governor = new Governor(h.redis);
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

  it('uses the Redis clock when no time is given', async () => {
    const id = tenant();
    const governor = new Governor(h.redis);
    const req = request(id, { limits: { tenantRpm: 2 }, now: undefined });
    const ok = admitted([await governor.admit(req), await governor.admit(req)]);
    expect(ok[1]?.headers['x-ratelimit-remaining-requests']).toBe('0');
    const third = (await governor.admit(req)) as RateLimited;
    expect(third).toMatchObject({ ok: false, limit: 'tenant_rpm' });
    expect(third.retryAfterMs).toBeGreaterThan(0);
    expect(third.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('counts estimated tokens against the TPM and corrects them when the call settles', async () => {
    const id = tenant();
    const governor = new Governor(h.redis);
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
    const id = tenant();
    const governor = new Governor(h.redis);
    const at = (now: number, estimatedTokens: number) =>
      governor.admit(request(id, { estimatedTokens, limits: { tenantTpm: 1_000 }, now }));
    expect(await at(T0, 400)).toMatchObject({ ok: true });
    expect(await at(T0 + 10_000, 400)).toMatchObject({ ok: true });
    // 800 in the window: 700 more needs both earlier calls gone (the second leaves at +70 s).
    expect(await at(T0 + 20_000, 700)).toMatchObject({ ok: false, retryAfterMs: 50_000 });
    expect(await at(T0 + 20_000, 300)).toMatchObject({ ok: false, retryAfterMs: 40_000 });
    expect(await at(T0 + 20_000, 2_000)).toMatchObject({ ok: false, retryAfterMs: 60_000 });
  });

  it('limits each user separately within the tenant', async () => {
    const id = tenant();
    const governor = new Governor(h.redis);
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
    });
    expect(await as('u2')).toMatchObject({ ok: true });
  });

  it('reports the tightest request limit on admitted calls', async () => {
    const id = tenant();
    const governor = new Governor(h.redis);
    const req = request(id, { limits: { tenantRpm: 5, userRpm: 50 } });
    const [a, b] = admitted([await governor.admit(req), await governor.admit(req)]);
    expect(a?.headers).toEqual({
      'x-ratelimit-limit-requests': '5',
      'x-ratelimit-remaining-requests': '4',
      'x-ratelimit-reset-requests': '1m0s',
    });
    expect(b?.headers['x-ratelimit-remaining-requests']).toBe('3');
  });

  it('reserves no budget for a rate-limited call', async () => {
    const id = tenant();
    const budget = tenantBudget(id, 1_000);
    const governor = new Governor(h.redis, new FakeSpendSource(0));
    const req = request(id, { reserveMicros: 100, limits: { tenantRpm: 2 }, budgets: [budget] });
    const results = await Promise.all(Array.from({ length: 6 }, () => governor.admit(req)));
    expect(admitted(results)).toHaveLength(2);
    expect(await h.redis.hget(`gnomon:{t:${id}}:b:tenant:${id}:D2031-01-15`, 'reserved')).toBe(
      '200',
    );
  });
});
