import type { BreakerState } from './circuit-breakers';

/**
 * Where gateway instances publish their circuit-breaker states for other processes (the control
 * plane's dashboard): one Redis hash per deployment, one field per gateway instance whose value
 * is that instance's latest report. A report carries its own expiry, so an instance that died
 * stops counting once its report expires (readers skip it; publishers prune it), and the whole
 * hash expires a day after the last report.
 */

/** The Redis commands the board uses (ioredis's `Redis` has them). */
export interface BreakerBoardRedis {
  hset(key: string, field: string, value: string): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
  hdel(key: string, ...fields: string[]): Promise<unknown>;
  pexpire(key: string, milliseconds: number): Promise<unknown>;
}

export interface ProviderBreakerReport {
  provider: string;
  state: BreakerState;
  /** ISO-8601, while the provider is cooling down after a 429. */
  coolingDownUntil: string | null;
}

/** One gateway instance's breakers at one moment. */
export interface BreakerReport {
  instanceId: string;
  /** Epoch milliseconds. */
  reportedAt: number;
  /** Epoch milliseconds after which the report no longer counts. */
  expiresAt: number;
  providers: ProviderBreakerReport[];
}

/** A provider's breaker across every live report: the worst state wins. */
export interface ProviderBreakerSummary {
  provider: string;
  /** `cooling_down` counts as `open` here (calls skip the provider either way). */
  state: 'closed' | 'half_open' | 'open';
  /** The latest end of a cool-down any instance reports. */
  coolingDownUntil: string | null;
  /** How many instances report this provider. */
  instances: number;
}

/** How long the hash outlives its last publication. */
export const BOARD_TTL_MS = 24 * 3_600_000;

/** The hash of one deployment (the gateway's GNOMON_REDIS_PREFIX). */
export function breakerBoardKey(prefix: string): string {
  return `${prefix}:breakers`;
}

const STATES: readonly BreakerState[] = ['closed', 'open', 'half_open', 'cooling_down'];

/** A stored report, or null when the value is not one (never trusted blindly). */
export function parseBreakerReport(text: string): BreakerReport | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const report = value as Partial<BreakerReport>;
  if (
    typeof report.instanceId !== 'string' ||
    typeof report.reportedAt !== 'number' ||
    typeof report.expiresAt !== 'number' ||
    !Array.isArray(report.providers)
  )
    return null;
  const providers = report.providers.filter(
    (p): p is ProviderBreakerReport =>
      typeof p === 'object' &&
      p !== null &&
      typeof p.provider === 'string' &&
      STATES.includes(p.state) &&
      (p.coolingDownUntil === null || typeof p.coolingDownUntil === 'string'),
  );
  return { ...(report as BreakerReport), providers };
}

export class BreakerBoard {
  constructor(
    private readonly redis: BreakerBoardRedis,
    readonly key: string,
  ) {}

  /**
   * Replaces this instance's report. Every publisher sets the same long TTL on the hash: it only
   * cleans up after the last gateway is gone (each report's own `expiresAt` decides whether it
   * counts), and a publisher with a shorter interval must never shorten it for the others.
   */
  async publish(report: BreakerReport): Promise<void> {
    await this.redis.hset(this.key, report.instanceId, JSON.stringify(report));
    await this.redis.pexpire(this.key, BOARD_TTL_MS);
  }

  /** Removes an instance's report (graceful shutdown). */
  async withdraw(instanceId: string): Promise<void> {
    await this.redis.hdel(this.key, instanceId);
  }

  /** The reports that count at `now` (expired and unreadable ones are skipped). */
  async live(now: number): Promise<BreakerReport[]> {
    const { live } = await this.scan(now);
    return live;
  }

  /** Deletes the reports of instances that stopped reporting; returns how many. */
  async prune(now: number): Promise<number> {
    const { dead } = await this.scan(now);
    if (dead.length > 0) await this.redis.hdel(this.key, ...dead);
    return dead.length;
  }

  private async scan(now: number): Promise<{ live: BreakerReport[]; dead: string[] }> {
    const fields = await this.redis.hgetall(this.key);
    const live: BreakerReport[] = [];
    const dead: string[] = [];
    for (const [field, text] of Object.entries(fields)) {
      const report = parseBreakerReport(text);
      if (report && report.expiresAt > now) live.push(report);
      else dead.push(field);
    }
    return { live, dead };
  }
}

const SEVERITY: Record<ProviderBreakerSummary['state'], number> = {
  closed: 0,
  half_open: 1,
  open: 2,
};

/** Per provider (sorted by name): the worst state any live report gives it. */
export function summarizeBreakerReports(reports: BreakerReport[]): ProviderBreakerSummary[] {
  const byProvider = new Map<string, ProviderBreakerSummary>();
  for (const report of reports) {
    for (const entry of report.providers) {
      const state = entry.state === 'cooling_down' ? 'open' : entry.state;
      const seen = byProvider.get(entry.provider);
      if (!seen) {
        byProvider.set(entry.provider, {
          provider: entry.provider,
          state,
          coolingDownUntil: entry.coolingDownUntil,
          instances: 1,
        });
        continue;
      }
      seen.instances += 1;
      if (SEVERITY[state] > SEVERITY[seen.state]) seen.state = state;
      if (
        entry.coolingDownUntil &&
        (!seen.coolingDownUntil || entry.coolingDownUntil > seen.coolingDownUntil)
      )
        seen.coolingDownUntil = entry.coolingDownUntil;
    }
  }
  return [...byProvider.values()].sort((a, b) => a.provider.localeCompare(b.provider));
}
