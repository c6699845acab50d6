import { budgetPeriodAt, budgetPeriodFromKey } from './budget-period';
import { decodeReservationId, encodeReservationId, GovernanceKeys } from './governance-keys';
import { formatResetDuration } from './rate-limit-headers';

describe('budget periods', () => {
  it('are UTC days and months', () => {
    const now = Date.UTC(2030, 11, 31, 23, 59, 59, 999);
    expect(budgetPeriodAt('DAILY', now)).toEqual({
      periodKey: 'D2030-12-31',
      periodStart: Date.UTC(2030, 11, 31),
      periodEnd: Date.UTC(2031, 0, 1),
    });
    expect(budgetPeriodAt('MONTHLY', now)).toEqual({
      periodKey: 'M2030-12',
      periodStart: Date.UTC(2030, 11, 1),
      periodEnd: Date.UTC(2031, 0, 1),
    });
    expect(budgetPeriodFromKey('M2030-12')).toMatchObject({
      period: 'MONTHLY',
      periodEnd: Date.UTC(2031, 0, 1),
    });
    expect(budgetPeriodFromKey('D2030-02-30')).toBeNull();
    expect(budgetPeriodFromKey('X')).toBeNull();
  });
});

describe('reservation ids', () => {
  it('round-trip tenant and budget refs, whatever characters the ids hold', () => {
    const ref = {
      eventId: '0b7f6f5e-4c1e-4d4f-9a51-2a3c1d9e8f70',
      tenantId: 'ten.ant:1,{x}',
      budgets: [
        {
          scope: 'tenant' as const,
          scopeId: 'ten.ant:1,{x}',
          period: 'DAILY' as const,
          ...budgetPeriodAt('DAILY', 0),
        },
        {
          scope: 'apiKey' as const,
          scopeId: 'k:1.2',
          period: 'MONTHLY' as const,
          ...budgetPeriodAt('MONTHLY', 0),
        },
      ],
    };
    expect(decodeReservationId(encodeReservationId(ref))).toEqual(ref);
    expect(decodeReservationId(encodeReservationId({ ...ref, budgets: [] }))).toEqual({
      ...ref,
      budgets: [],
    });
  });

  it('reject anything else', () => {
    for (const bad of [
      '',
      'abc',
      'a.b.c.d',
      'a.b.z:x:D2030-01-01',
      'a.b.t:x:D2030-13-01',
      'a.%E0.',
    ]) {
      expect(() => decodeReservationId(bad)).toThrow(RangeError);
    }
  });
});

describe('keys', () => {
  it('share one hash tag per tenant', () => {
    const keys = new GovernanceKeys();
    const ref = { scope: 'apiKey' as const, scopeId: 'k1', periodKey: 'M2030-01' };
    expect(keys.budget('t1', ref)).toBe('gnomon:{t:t1}:b:apiKey:k1:M2030-01');
    expect(keys.leases('t1', ref)).toBe('gnomon:{t:t1}:b:apiKey:k1:M2030-01:leases');
    expect(keys.userLog('t1', 'u')).toBe('gnomon:{t:t1}:rl:u:u');
    expect(keys.tenantPattern('a*b')).toBe('gnomon:{t:a\\*b}:*');
  });
});

describe('formatResetDuration', () => {
  it('writes durations the way OpenAI does', () => {
    expect(formatResetDuration(0)).toBe('0ms');
    expect(formatResetDuration(20)).toBe('20ms');
    expect(formatResetDuration(1_000)).toBe('1s');
    expect(formatResetDuration(7_660)).toBe('7.66s');
    expect(formatResetDuration(60_000)).toBe('1m0s');
    expect(formatResetDuration(3_723_000)).toBe('1h2m3s');
  });
});
