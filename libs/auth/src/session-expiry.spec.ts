import { isSessionLive, needsTouch, newSessionTimes, touchedTimes } from './session-expiry';

const MINUTE = 60_000;
const lifetime = { idleMs: 30 * MINUTE, absoluteMs: 12 * 60 * MINUTE };

describe('session expiry arithmetic', () => {
  it('a new session idles out after the idle time, within the absolute lifetime', () => {
    expect(newSessionTimes(1_000, lifetime)).toEqual({
      lastSeenAt: 1_000,
      idleExpiresAt: 1_000 + 30 * MINUTE,
      expiresAt: 1_000 + 12 * 60 * MINUTE,
    });
    // An idle time longer than the lifetime is capped by it.
    expect(newSessionTimes(0, { idleMs: 10 * MINUTE, absoluteMs: 5 * MINUTE }).idleExpiresAt).toBe(
      5 * MINUTE,
    );
  });

  it('is live strictly before both expiries', () => {
    const times = newSessionTimes(0, lifetime);
    expect(isSessionLive(times, 30 * MINUTE - 1)).toBe(true);
    expect(isSessionLive(times, 30 * MINUTE)).toBe(false);
    expect(isSessionLive({ ...times, idleExpiresAt: Infinity }, 12 * 60 * MINUTE)).toBe(false);
  });

  it('records activity at most once per interval', () => {
    const times = newSessionTimes(0, lifetime);
    expect(needsTouch(times, MINUTE - 1, MINUTE)).toBe(false);
    expect(needsTouch(times, MINUTE, MINUTE)).toBe(true);
  });

  it('activity slides the idle expiry, never past the absolute one, never backwards', () => {
    const times = newSessionTimes(0, lifetime);
    expect(touchedTimes(times, 20 * MINUTE, lifetime.idleMs)).toEqual({
      lastSeenAt: 20 * MINUTE,
      idleExpiresAt: 50 * MINUTE,
      expiresAt: times.expiresAt,
    });
    const late = touchedTimes(times, 12 * 60 * MINUTE - MINUTE, lifetime.idleMs);
    expect(late.idleExpiresAt).toBe(times.expiresAt);
    // A stale report (another instance's older request) moves nothing back.
    const slid = touchedTimes(times, 20 * MINUTE, lifetime.idleMs);
    expect(touchedTimes(slid, 5 * MINUTE, lifetime.idleMs)).toEqual(slid);
  });
});
