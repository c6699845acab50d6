import { EgressFailed } from './egress.errors';

/** setTimeout fires at once beyond this (a signed 32-bit count of milliseconds). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One egress request's deadline and cancellation. Every phase (resolution, connection,
 * response) stops as soon as the scope ends, with the error it ended with.
 */
export class RequestScope {
  private readonly controller = new AbortController();
  private failure: EgressFailed | undefined;
  private readonly timer: NodeJS.Timeout;
  /** The hop in progress (redacted URL), for messages. */
  current = '';

  constructor(
    timeoutMs: number,
    private readonly external: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(
      () => {
        const message = `request to ${this.current} timed out after ${timeoutMs} ms`;
        this.abort(new EgressFailed('timeout', message, { url: this.current }));
      },
      Math.min(timeoutMs, MAX_TIMER_MS),
    );
    if (external?.aborted) this.onExternalAbort();
    else external?.addEventListener('abort', this.onExternalAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The error the scope ended with; meaningful once `signal` is aborted. */
  get error(): EgressFailed {
    return this.failure ?? new EgressFailed('aborted', 'request aborted', { url: this.current });
  }

  private readonly onExternalAbort = (): void => {
    const message = `request to ${this.current} was cancelled`;
    this.abort(new EgressFailed('aborted', message, { url: this.current }));
  };

  private abort(error: EgressFailed): void {
    if (this.failure) return;
    this.failure = error;
    this.controller.abort(error);
  }

  /** Settles with `promise`, or rejects with the scope's error as soon as the scope ends. */
  race<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(this.error);
      if (this.signal.aborted) return onAbort();
      this.signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        (value) => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          this.signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.external?.removeEventListener('abort', this.onExternalAbort);
  }
}
