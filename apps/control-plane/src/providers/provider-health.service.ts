import { Injectable } from '@nestjs/common';
import type { ProviderHealthRow, ProviderHealthView, ProviderWindow } from '@gnomon/contracts';
import { TenantDatabase } from '@gnomon/db';
import { BreakerStates } from './breaker-states';
import { ProviderHealthRepository, type ModelLatency } from './provider-health.repository';

const WINDOW_MS: Record<ProviderWindow, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
};

/** A share of calls, to four decimals (0 without calls). */
export function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((part / whole) * 10_000) / 10_000;
}

const tenths = (ms: number | null) => (ms === null ? null : Math.round(ms * 10) / 10);

/** Provider health for platform operators: breaker state, calls, errors, latency per model. */
@Injectable()
export class ProviderHealthService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly figures: ProviderHealthRepository,
    private readonly breakers: BreakerStates,
  ) {}

  async health(window: ProviderWindow, now = new Date()): Promise<ProviderHealthView> {
    const from = new Date(now.getTime() - WINDOW_MS[window]);
    const rows = await this.db.asPlatform((p) => this.figures.latency(p, from, now));
    const states = new Map(
      (await this.breakers.views(rows.map((row) => row.provider))).map((v) => [v.provider, v]),
    );
    return {
      window,
      from: from.toISOString(),
      to: now.toISOString(),
      items: rows.map((row) => healthRow(row, states.get(row.provider)?.state ?? 'unknown')),
    };
  }
}

function healthRow(row: ModelLatency, state: ProviderHealthRow['state']): ProviderHealthRow {
  const calls = Number(row.calls);
  const failedCalls = Number(row.failedCalls);
  return {
    provider: row.provider,
    model: row.model,
    state,
    calls,
    failedCalls,
    errorRate: rate(failedCalls, calls),
    p50Ms: tenths(row.p50Ms),
    p95Ms: tenths(row.p95Ms),
  };
}
