import { AdmissionRefused, ExecutionAdmission } from './execution-admission';

const limits = {
  maxConcurrency: 2,
  maxConcurrencyPerTenant: 1,
  queueLimit: 2,
  queueTimeoutMs: 60_000,
};

describe('ExecutionAdmission', () => {
  afterEach(() => jest.useRealTimers());

  it('admits up to the per-tenant limit and queues the rest in order', async () => {
    const admission = new ExecutionAdmission(limits);
    const releaseA1 = await admission.acquire('a');
    const order: string[] = [];
    const a2 = admission.acquire('a').then((release) => {
      order.push('a2');
      return release;
    });
    const releaseB1 = await admission.acquire('b');
    expect(admission.snapshot()).toMatchObject({ running: 2, queued: 1 });
    releaseB1();
    await Promise.resolve();
    expect(order).toEqual([]); // b's slot frees total room, but tenant a is still at its limit
    releaseA1();
    const releaseA2 = await a2;
    expect(order).toEqual(['a2']);
    releaseA2();
    expect(admission.snapshot()).toMatchObject({ running: 0, queued: 0 });
  });

  it('lets another tenant pass a tenant that is at its limit', async () => {
    const admission = new ExecutionAdmission({ ...limits, maxConcurrency: 1, queueLimit: 5 });
    const releaseA1 = await admission.acquire('a');
    const admitted: string[] = [];
    const a2 = admission.acquire('a').then((r) => (admitted.push('a2'), r));
    const b1 = admission.acquire('b').then((r) => (admitted.push('b1'), r));
    releaseA1();
    const first = await Promise.race([a2, b1]);
    expect(admitted).toEqual(['a2']); // FIFO when both fit
    first();
    (await b1)();
    expect(admitted).toEqual(['a2', 'b1']);
  });

  it('refuses beyond the queue bound with a clear message', async () => {
    const admission = new ExecutionAdmission({
      ...limits,
      maxConcurrency: 1,
      queueLimit: 1,
      queueTimeoutMs: 20,
    });
    await admission.acquire('a');
    const queued = admission.acquire('b').catch((error: unknown) => error);
    await expect(admission.acquire('c')).rejects.toThrow(
      new AdmissionRefused('the tool runtime is at capacity (1 running, 1 queued); retry later', 1),
    );
    expect(await queued).toBeInstanceOf(AdmissionRefused); // and the queued one times out
  });

  it('refuses a waiter after the queue timeout and frees its place', async () => {
    jest.useFakeTimers();
    const admission = new ExecutionAdmission({ ...limits, queueTimeoutMs: 500 });
    await admission.acquire('a');
    const waiting = admission.acquire('a');
    jest.advanceTimersByTime(501);
    await expect(waiting).rejects.toThrow(/no sandbox became free within 500 ms/);
    expect(admission.snapshot().queued).toBe(0);
  });

  it('withdraws a waiter whose caller went away', async () => {
    const admission = new ExecutionAdmission(limits);
    await admission.acquire('a');
    const controller = new AbortController();
    const waiting = admission.acquire('a', controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow(/went away/);
    expect(admission.snapshot().queued).toBe(0);
  });

  it('ignores a second release of the same slot', async () => {
    const admission = new ExecutionAdmission(limits);
    const release = await admission.acquire('a');
    release();
    release();
    expect(admission.snapshot().running).toBe(0);
    await admission.acquire('a');
    await admission.acquire('b');
    expect(admission.snapshot().running).toBe(2);
  });
});
