import {
  breakerBoardKey,
  parseBreakerReport,
  summarizeBreakerReports,
  type BreakerReport,
  type ProviderBreakerReport,
} from './breaker-board';

const report = (instanceId: string, providers: ProviderBreakerReport[]): BreakerReport => ({
  instanceId,
  reportedAt: 1_000,
  expiresAt: 16_000,
  providers,
});
const entry = (
  provider: string,
  state: ProviderBreakerReport['state'],
  coolingDownUntil: string | null = null,
): ProviderBreakerReport => ({ provider, state, coolingDownUntil });

describe('breaker board', () => {
  it('keys the hash by the deployment prefix', () => {
    expect(breakerBoardKey('gnomon')).toBe('gnomon:breakers');
  });

  it('summarizes per provider: the worst state of any instance wins, cooling down counts as open', () => {
    const summary = summarizeBreakerReports([
      report('a', [entry('openai', 'closed'), entry('gemini', 'half_open')]),
      report('b', [
        entry('openai', 'open'),
        entry('gemini', 'closed'),
        entry('anthropic', 'cooling_down', '2026-03-01T00:00:10.000Z'),
      ]),
      report('c', [
        entry('openai', 'half_open'),
        entry('anthropic', 'cooling_down', '2026-03-01T00:00:30.000Z'),
      ]),
    ]);
    expect(summary).toEqual([
      {
        provider: 'anthropic',
        state: 'open',
        coolingDownUntil: '2026-03-01T00:00:30.000Z',
        instances: 2,
      },
      { provider: 'gemini', state: 'half_open', coolingDownUntil: null, instances: 2 },
      { provider: 'openai', state: 'open', coolingDownUntil: null, instances: 3 },
    ]);
  });

  it('has nothing to say without reports', () => {
    expect(summarizeBreakerReports([])).toEqual([]);
  });

  it('reads back what it stores, and refuses what is not a report', () => {
    const stored = report('gw-1', [entry('openai', 'open')]);
    expect(parseBreakerReport(JSON.stringify(stored))).toEqual(stored);
    expect(parseBreakerReport('not json')).toBeNull();
    expect(parseBreakerReport('42')).toBeNull();
    expect(parseBreakerReport(JSON.stringify({ instanceId: 'x', providers: [] }))).toBeNull();
  });

  it('drops provider entries with an unknown state instead of trusting them', () => {
    const text = JSON.stringify({
      ...report('gw-1', [entry('openai', 'closed')]),
      providers: [entry('openai', 'closed'), { provider: 'x', state: 'exploded' }, null],
    });
    expect(parseBreakerReport(text)?.providers).toEqual([entry('openai', 'closed')]);
  });
});
