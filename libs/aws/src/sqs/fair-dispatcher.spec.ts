import { FairDispatcher } from './fair-dispatcher';

interface Job {
  key: string;
  n: number;
}

/** A dispatcher whose jobs run until the test finishes them, recording the order they start in. */
function dispatcherWith(options: { concurrency: number; perKeyConcurrency?: number }) {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const errors: unknown[] = [];
  const dispatcher = new FairDispatcher<Job>({
    ...options,
    run: (job) =>
      new Promise<void>((resolve, reject) => {
        const name = `${job.key}${job.n}`;
        started.push(name);
        finishers.set(name, resolve);
        finishers.set(`fail:${name}`, () => reject(new Error(`${name} failed`)));
      }),
    onError: (error) => errors.push(error),
  });
  const push = (key: string, count: number) => {
    for (let n = 1; n <= count; n++) dispatcher.push(key, { key, n });
  };
  /** Finishes a running job and lets the dispatcher react (its slot frees after an await). */
  const finish = async (name: string) => {
    const resolve = finishers.get(name);
    if (!resolve) throw new Error(`${name} is not running`);
    resolve();
    await flush();
  };
  const fail = async (name: string) => {
    finishers.get(`fail:${name}`)?.();
    await flush();
  };
  return { dispatcher, started, push, finish, fail, errors };
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('FairDispatcher', () => {
  it('starts a late key as soon as a slot frees, not after the backlog of a busy key', async () => {
    const { dispatcher, started, push, finish } = dispatcherWith({ concurrency: 2 });
    push('A', 50);
    push('B', 1);
    expect(started).toEqual(['A1', 'A2']);
    expect(dispatcher.size).toBe(49);
    expect(dispatcher.running).toBe(2);

    await finish('A1');
    expect(started).toEqual(['A1', 'A2', 'B1']);
    await finish('A2');
    await finish('B1');
    expect(started).toEqual(['A1', 'A2', 'B1', 'A3', 'A4']);
  });

  it('alternates between keys with waiting work and keeps FIFO order within a key', async () => {
    const { started, push, finish } = dispatcherWith({ concurrency: 1 });
    push('A', 3);
    push('B', 3);
    push('C', 1);
    for (const name of ['A1', 'B1', 'C1', 'A2', 'B2', 'A3']) await finish(name);
    expect(started).toEqual(['A1', 'B1', 'C1', 'A2', 'B2', 'A3', 'B3']);
  });

  it('never runs more than the global limit, nor more than the per-key limit of one key', async () => {
    const { dispatcher, started, push, finish } = dispatcherWith({
      concurrency: 3,
      perKeyConcurrency: 2,
    });
    push('A', 5);
    expect(started).toEqual(['A1', 'A2']);
    expect(dispatcher.running).toBe(2);
    expect(dispatcher.size).toBe(3);

    push('B', 5);
    expect(started).toEqual(['A1', 'A2', 'B1']);
    expect(dispatcher.running).toBe(3);

    await finish('B1');
    expect(started.at(-1)).toBe('B2');
    await finish('A1');
    expect(started.at(-1)).toBe('A3');
    expect(dispatcher.running).toBe(3);
  });

  it('frees the slot of a job that fails and reports the error', async () => {
    const { dispatcher, started, push, fail, errors } = dispatcherWith({ concurrency: 1 });
    push('A', 2);
    await fail('A1');
    expect(errors).toEqual([new Error('A1 failed')]);
    expect(started).toEqual(['A1', 'A2']);
    expect(dispatcher.running).toBe(1);
  });

  it('cancels and takes back items that have not started', async () => {
    const { dispatcher, started, finish } = dispatcherWith({ concurrency: 1 });
    const jobs = [1, 2, 3, 4].map((n) => ({ key: n % 2 ? 'A' : 'B', n }));
    for (const job of jobs) dispatcher.push(job.key, job);

    expect(dispatcher.cancel(jobs[0])).toBe(false); // already running
    expect(dispatcher.cancel(jobs[1])).toBe(true);
    expect(dispatcher.size).toBe(2);
    const taken = dispatcher.takeQueued();
    expect(taken).toHaveLength(2);
    expect(taken).toEqual(expect.arrayContaining([jobs[2], jobs[3]]));
    expect(dispatcher.size).toBe(0);

    await finish('A1');
    expect(started).toEqual(['A1']);
    expect(dispatcher.running).toBe(0);
  });

  it('drains once nothing is waiting or running', async () => {
    const { dispatcher, push, finish } = dispatcherWith({ concurrency: 1 });
    await dispatcher.drain(); // idle: resolves at once
    push('A', 2);
    let drained = false;
    void dispatcher.drain().then(() => (drained = true));
    await finish('A1');
    expect(drained).toBe(false);
    await finish('A2');
    expect(drained).toBe(true);
  });

  it('rejects limits that are not positive integers', () => {
    const run = () => Promise.resolve();
    const onError = () => undefined;
    expect(() => new FairDispatcher({ concurrency: 0, run, onError })).toThrow(RangeError);
    expect(
      () => new FairDispatcher({ concurrency: 2, perKeyConcurrency: 1.5, run, onError }),
    ).toThrow(RangeError);
  });
});
