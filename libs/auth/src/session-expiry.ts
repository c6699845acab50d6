/**
 * Session lifetime arithmetic (all times in epoch milliseconds). A session ends at the earlier
 * of its absolute expiry (fixed at sign-in) and its idle expiry, which slides: each recorded
 * activity moves it to `activity + idle`, never past the absolute expiry. Activity is recorded
 * at most once per `touchIntervalMs`, so no request pays a database write for it otherwise.
 */
export interface SessionLifetime {
  idleMs: number;
  absoluteMs: number;
}

export interface SessionTimes {
  lastSeenAt: number;
  idleExpiresAt: number;
  expiresAt: number;
}

/** The times of a session created at `now`. */
export function newSessionTimes(now: number, lifetime: SessionLifetime): SessionTimes {
  const expiresAt = now + lifetime.absoluteMs;
  return { lastSeenAt: now, idleExpiresAt: Math.min(now + lifetime.idleMs, expiresAt), expiresAt };
}

/** Whether the session is still usable at `now`. */
export function isSessionLive(times: SessionTimes, now: number): boolean {
  return now < times.idleExpiresAt && now < times.expiresAt;
}

/** Whether activity at `now` should be written (at most once per interval). */
export function needsTouch(times: SessionTimes, now: number, touchIntervalMs: number): boolean {
  return now - times.lastSeenAt >= touchIntervalMs;
}

/** The times after activity at `now` (never moving anything backwards). */
export function touchedTimes(times: SessionTimes, now: number, idleMs: number): SessionTimes {
  return {
    lastSeenAt: Math.max(times.lastSeenAt, now),
    idleExpiresAt: Math.max(times.idleExpiresAt, Math.min(now + idleMs, times.expiresAt)),
    expiresAt: times.expiresAt,
  };
}
