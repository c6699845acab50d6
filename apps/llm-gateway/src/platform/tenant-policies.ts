import { Injectable } from '@nestjs/common';
import { LlmRouteConfig, type RateLimits } from '@gnomon/contracts';
import { CredentialCipher } from '@gnomon/auth';
import { TenantDatabase, tenantScope } from '@gnomon/db';
import type { TenantCredential } from './tenant-providers';

export interface BudgetRule {
  scope: 'tenant' | 'apiKey';
  scopeId: string;
  period: 'DAILY' | 'MONTHLY';
  limitMicros: number;
  softThresholdPct: number;
}

/** Everything the hot path needs to know about a tenant, cached in process. */
export interface TenantPolicies {
  active: boolean;
  limits: RateLimits;
  budgets: BudgetRule[];
  routes: LlmRouteConfig | null;
  /** The tenant's own provider keys, decrypted. */
  credentials: TenantCredential[];
}

interface Entry {
  policies: TenantPolicies;
  loadedAt: number;
  refreshing: Promise<TenantPolicies> | null;
}

const NO_LIMITS: RateLimits = {
  tenantRequestsPerMinute: null,
  tenantTokensPerMinute: null,
  userRequestsPerMinute: null,
};

/**
 * Tenant limits, budgets, routes and status, read from Postgres off the hot path: the first
 * request of a tenant loads them, later ones use the cached copy and refresh it in the
 * background once it is older than the TTL (so a policy change applies within about one TTL).
 */
@Injectable()
export class TenantPolicyCache {
  private readonly entries = new Map<string, Entry>();
  private ttlMs = 5_000;

  private readonly cipher: CredentialCipher;

  constructor(
    private readonly db: TenantDatabase,
    encryptionKey: string,
  ) {
    this.cipher = new CredentialCipher(encryptionKey);
  }

  configure(ttlMs: number): void {
    this.ttlMs = ttlMs;
  }

  async get(tenantId: string): Promise<TenantPolicies> {
    const entry = this.entries.get(tenantId);
    if (!entry) return this.load(tenantId);
    if (Date.now() - entry.loadedAt > this.ttlMs && !entry.refreshing) {
      entry.refreshing = this.load(tenantId).catch(() => entry.policies);
    }
    return entry.policies;
  }

  /** Drops a tenant's copy (tests and admin tooling). */
  forget(tenantId: string): void {
    this.entries.delete(tenantId);
  }

  private async load(tenantId: string): Promise<TenantPolicies> {
    const policies = await this.db.inTenant(tenantScope(tenantId), async (t) => {
      const [tenant, limits, budgets, routes, credentials] = await Promise.all([
        t.db.tenant.findFirst({
          where: { id: tenantId },
          select: { status: true, deletedAt: true },
        }),
        t.db.rateLimitPolicy.findMany({ where: { tenantId } }),
        t.db.budgetPolicy.findMany({ where: { tenantId } }),
        t.db.llmRouteConfig.findUnique({ where: { tenantId } }),
        t.db.providerCredential.findMany({
          where: { tenantId, revokedAt: null },
          orderBy: { createdAt: 'asc' },
        }),
      ]);
      const tenantLimits = limits.find((l) => l.subject === 'TENANT');
      const userLimits = limits.find((l) => l.subject === 'USER');
      const parsedRoutes = routes ? LlmRouteConfig.safeParse(routes.config) : null;
      return {
        active: tenant !== null && tenant.status === 'ACTIVE' && tenant.deletedAt === null,
        limits: {
          ...NO_LIMITS,
          tenantRequestsPerMinute: tenantLimits?.requestsPerMinute ?? null,
          tenantTokensPerMinute: tenantLimits?.tokensPerMinute ?? null,
          userRequestsPerMinute: userLimits?.requestsPerMinute ?? null,
        },
        budgets: budgets.map((b) => ({
          scope: b.apiKeyId ? ('apiKey' as const) : ('tenant' as const),
          scopeId: b.apiKeyId ?? tenantId,
          period: b.period,
          limitMicros: Number(b.limitMicros),
          softThresholdPct: b.softThresholdPct,
        })),
        routes: parsedRoutes?.success ? parsedRoutes.data : null,
        credentials: credentials.flatMap((c) => {
          try {
            const apiKey = this.cipher.open(
              {
                ciphertext: Buffer.from(c.ciphertext),
                iv: Buffer.from(c.iv),
                authTag: Buffer.from(c.authTag),
              },
              tenantId,
            );
            return [{ id: c.id, provider: c.provider, apiKey, baseUrl: c.baseUrl }];
          } catch {
            return []; // sealed under another key: unusable, never fatal for the tenant's calls
          }
        }),
      };
    });
    this.entries.set(tenantId, { policies, loadedAt: Date.now(), refreshing: null });
    return policies;
  }
}
