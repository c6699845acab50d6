/** Why an execution was not admitted; the controller answers 429 with this message. */
export class AdmissionRefused extends Error {
  override readonly name = 'AdmissionRefused';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

export interface AdmissionLimits {
  maxConcurrency: number;
  maxConcurrencyPerTenant: number;
  queueLimit: number;
  queueTimeoutMs: number;
}

interface Waiter {
  tenantId: string;
  admit: (release: () => void) => void;
  refuse: (error: AdmissionRefused) => void;
  timer: NodeJS.Timeout;
}

/**
 * Bounds sandboxes in total and per tenant. Excess executions wait in one FIFO queue (bounded
 * in length and in waiting time); a freed slot goes to the oldest waiter whose tenant is
 * under its own limit, so one busy tenant cannot starve the others.
 */
export class ExecutionAdmission {
  private running = 0;
  private readonly runningByTenant = new Map<string, number>();
  private readonly queue: Waiter[] = [];

  constructor(private readonly limits: AdmissionLimits) {}

  snapshot() {
    return { running: this.running, queued: this.queue.length, limits: this.limits };
  }

  /** Resolves with a release function once a slot is free; `signal` withdraws a waiting request. */
  acquire(tenantId: string, signal?: AbortSignal): Promise<() => void> {
    if (this.hasRoom(tenantId)) return Promise.resolve(this.take(tenantId));
    if (this.queue.length >= this.limits.queueLimit) {
      return Promise.reject(
        new AdmissionRefused(
          `the tool runtime is at capacity (${this.limits.maxConcurrency} running, ${this.queue.length} queued); retry later`,
          1,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        tenantId,
        admit: resolve,
        refuse: reject,
        timer: setTimeout(() => {
          this.withdraw(waiter);
          reject(
            new AdmissionRefused(
              `no sandbox became free within ${this.limits.queueTimeoutMs} ms; retry later`,
              Math.max(1, Math.ceil(this.limits.queueTimeoutMs / 1000)),
            ),
          );
        }, this.limits.queueTimeoutMs),
      };
      signal?.addEventListener(
        'abort',
        () => {
          if (this.withdraw(waiter))
            reject(new AdmissionRefused('the caller went away while queued', 0));
        },
        { once: true },
      );
      this.queue.push(waiter);
    });
  }

  private hasRoom(tenantId: string): boolean {
    return (
      this.running < this.limits.maxConcurrency &&
      (this.runningByTenant.get(tenantId) ?? 0) < this.limits.maxConcurrencyPerTenant
    );
  }

  private take(tenantId: string): () => void {
    this.running += 1;
    this.runningByTenant.set(tenantId, (this.runningByTenant.get(tenantId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running -= 1;
      const left = (this.runningByTenant.get(tenantId) ?? 1) - 1;
      if (left === 0) this.runningByTenant.delete(tenantId);
      else this.runningByTenant.set(tenantId, left);
      this.admitWaiters();
    };
  }

  private admitWaiters(): void {
    for (let i = 0; i < this.queue.length && this.running < this.limits.maxConcurrency;) {
      const waiter = this.queue[i];
      if (!this.hasRoom(waiter.tenantId)) {
        i += 1;
        continue;
      }
      this.queue.splice(i, 1);
      clearTimeout(waiter.timer);
      waiter.admit(this.take(waiter.tenantId));
    }
  }

  private withdraw(waiter: Waiter): boolean {
    const index = this.queue.indexOf(waiter);
    if (index === -1) return false;
    this.queue.splice(index, 1);
    clearTimeout(waiter.timer);
    return true;
  }
}
