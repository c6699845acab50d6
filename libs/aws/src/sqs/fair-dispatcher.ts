export interface FairDispatcherOptions<T> {
  /** How many items run at once, over all keys. */
  concurrency: number;
  /** How many items of one key run at once (default: no limit beyond `concurrency`). */
  perKeyConcurrency?: number;
  /** Runs one item; the slot frees when the promise settles. */
  run: (item: T, key: string) => Promise<void>;
  /** Receives what `run` rejected with; the dispatcher itself goes on. */
  onError: (error: unknown, item: T, key: string) => void;
}

/**
 * Runs work items under a global concurrency limit (and optionally a per-key one), FIFO within a
 * key and fair across keys, so that a burst under one key (a tenant) cannot starve the others.
 *
 * Each freed slot goes to the waiting key with the fewest items running; among equals, to the
 * key served least recently (a key new to the dispatcher first). A key that just arrived
 * therefore starts as soon as a slot frees, even behind a backlog of another key, and keys with
 * backlogs take turns. Pure: no clock, no I/O.
 */
export class FairDispatcher<T> {
  private readonly concurrency: number;
  private readonly perKeyConcurrency: number;
  /** Waiting items of each key, oldest first; a key is here only while it has some. */
  private readonly waiting = new Map<string, T[]>();
  private readonly runningByKey = new Map<string, number>();
  /** When each key last had an item started (a counter), while it has items waiting or running. */
  private readonly lastServed = new Map<string, number>();
  private starts = 0;
  private queuedCount = 0;
  private runningCount = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: FairDispatcherOptions<T>) {
    this.concurrency = positiveInteger('concurrency', options.concurrency);
    this.perKeyConcurrency =
      options.perKeyConcurrency === undefined
        ? Number.POSITIVE_INFINITY
        : positiveInteger('perKeyConcurrency', options.perKeyConcurrency);
  }

  /** Items waiting for a slot. */
  get size(): number {
    return this.queuedCount;
  }

  /** Items whose `run` has not settled yet. */
  get running(): number {
    return this.runningCount;
  }

  /** Queues an item under `key`; it starts at once if a slot is free. */
  push(key: string, item: T): void {
    const queue = this.waiting.get(key);
    if (queue) queue.push(item);
    else this.waiting.set(key, [item]);
    this.queuedCount++;
    this.dispatch();
  }

  /** Removes an item that has not started yet; false if it is not waiting (started or unknown). */
  cancel(item: T): boolean {
    for (const [key, queue] of this.waiting) {
      const index = queue.indexOf(item);
      if (index < 0) continue;
      queue.splice(index, 1);
      this.queuedCount--;
      if (queue.length === 0) this.waiting.delete(key);
      this.forgetIfGone(key);
      this.notifyIfIdle();
      return true;
    }
    return false;
  }

  /** Removes and returns every waiting item (running ones go on). */
  takeQueued(): T[] {
    const items = [...this.waiting.values()].flat();
    const keys = [...this.waiting.keys()];
    this.waiting.clear();
    for (const key of keys) this.forgetIfGone(key);
    this.queuedCount = 0;
    this.notifyIfIdle();
    return items;
  }

  /** Resolves once nothing is waiting and nothing is running. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private dispatch(): void {
    while (this.runningCount < this.concurrency) {
      const key = this.nextKey();
      if (key === undefined) return;
      const queue = this.waiting.get(key) ?? [];
      const item = queue.shift() as T;
      if (queue.length === 0) this.waiting.delete(key);
      this.queuedCount--;
      this.start(key, item);
    }
  }

  /** The waiting key under its limit with the fewest running items, least recently served first. */
  private nextKey(): string | undefined {
    let best: string | undefined;
    let bestRunning = Number.POSITIVE_INFINITY;
    let bestServed = Number.POSITIVE_INFINITY;
    for (const key of this.waiting.keys()) {
      const running = this.runningByKey.get(key) ?? 0;
      if (running >= this.perKeyConcurrency) continue;
      const served = this.lastServed.get(key) ?? -1;
      if (running < bestRunning || (running === bestRunning && served < bestServed)) {
        best = key;
        bestRunning = running;
        bestServed = served;
      }
    }
    return best;
  }

  private start(key: string, item: T): void {
    this.runningCount++;
    this.runningByKey.set(key, (this.runningByKey.get(key) ?? 0) + 1);
    this.lastServed.set(key, this.starts++);
    void this.runOne(key, item);
  }

  private async runOne(key: string, item: T): Promise<void> {
    try {
      await this.options.run(item, key);
    } catch (error) {
      this.options.onError(error, item, key);
    } finally {
      this.runningCount--;
      const left = (this.runningByKey.get(key) ?? 1) - 1;
      if (left > 0) this.runningByKey.set(key, left);
      else this.runningByKey.delete(key);
      this.forgetIfGone(key);
      this.dispatch();
      this.notifyIfIdle();
    }
  }

  /** Drops what is known of a key that has nothing waiting or running (bounded memory). */
  private forgetIfGone(key: string): void {
    if (!this.waiting.has(key) && !this.runningByKey.has(key)) this.lastServed.delete(key);
  }

  private isIdle(): boolean {
    return this.queuedCount === 0 && this.runningCount === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}
