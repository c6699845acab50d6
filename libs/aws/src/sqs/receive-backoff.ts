/** Delays between failed receives: doubling from `initialMs` up to `maxMs`, with jitter. */
export class ReceiveBackoff {
  private failures = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
  ) {}

  /** Consecutive failures so far. */
  get failureCount(): number {
    return this.failures;
  }

  /** A receive succeeded: the next failure starts over from `initialMs`. */
  reset(): void {
    this.failures = 0;
  }

  /** Counts a failure; returns how long to wait (half to all of the doubled delay). */
  nextDelayMs(): number {
    this.failures++;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures - 1, 30));
    return Math.round(delay / 2 + (Math.random() * delay) / 2);
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
