import type { BudgetPolicyView } from '@gnomon/contracts';
import { budgetOverview } from './overview.service';

const policy = (
  period: 'DAILY' | 'MONTHLY',
  limitMicros: string,
  spentMicros: string,
  fields: Partial<BudgetPolicyView> = {},
): BudgetPolicyView => ({
  period,
  scope: 'tenant',
  apiKeyId: null,
  limitMicros,
  softThresholdPct: 80,
  periodStart: '2026-03-01T00:00:00.000Z',
  spentMicros,
  ...fields,
});

describe('budgetOverview: the tenant-wide budget closest to its hard limit', () => {
  it('without a tenant-wide policy: the month, no limits', () => {
    const perKey = policy('DAILY', '1', '1', { scope: 'apiKey', apiKeyId: 'k' });
    expect(budgetOverview([perKey], '42')).toEqual({
      period: 'MONTHLY',
      softLimitMicros: null,
      hardLimitMicros: null,
      usedMicros: '42',
    });
  });

  it('picks the larger share of the limit, exactly (beyond 2^53)', () => {
    const monthly = policy('MONTHLY', '900000000000000000', '450000000000000001');
    const daily = policy('DAILY', '200', '100');
    expect(budgetOverview([daily, monthly], '0')).toMatchObject({
      period: 'MONTHLY',
      usedMicros: '450000000000000001',
      softLimitMicros: '720000000000000000',
    });
    expect(budgetOverview([policy('DAILY', '200', '101'), monthly], '0').period).toBe('DAILY');
  });

  it('prefers the monthly budget on a tie, whatever the order', () => {
    const [daily, monthly] = [policy('DAILY', '100', '0'), policy('MONTHLY', '1000', '0')];
    expect(budgetOverview([daily, monthly], '0').period).toBe('MONTHLY');
    expect(budgetOverview([monthly, daily], '0').period).toBe('MONTHLY');
  });

  it('rounds the soft limit down', () => {
    expect(
      budgetOverview([policy('MONTHLY', '301', '0', { softThresholdPct: 33 })], '0'),
    ).toMatchObject({ softLimitMicros: '99', hardLimitMicros: '301' });
  });
});
