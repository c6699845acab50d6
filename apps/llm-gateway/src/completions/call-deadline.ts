/**
 * An abort signal for one upstream call: fires when the client goes away, when `abort()` is
 * called, or after `ms`. Unlike `AbortSignal.any([…, AbortSignal.timeout(ms)])`, `dispose()`
 * releases the timer and the listener as soon as the call is over, so finished calls do not
 * stay reachable (and allocated) until a two-minute timeout fires.
 */
export interface CallDeadline {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  dispose(): void;
}

export function callDeadline(parent: AbortSignal, ms: number): CallDeadline {
  const controller = new AbortController();
  const onParentAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onParentAbort, { once: true });
  const timer = setTimeout(
    () => controller.abort(new DOMException('deadline exceeded', 'TimeoutError')),
    ms,
  );
  timer.unref();
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParentAbort);
    },
  };
}
