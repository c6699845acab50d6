import { Injectable } from '@nestjs/common';
import type { RateLimits } from '@gnomon/contracts';
import { TenantDatabase, type TenantScope, type TenantTx } from '@gnomon/db';
import type { TenantCaller } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import { LimitsRepository } from './limits.repository';

@Injectable()
export class LimitsService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly limits: LimitsRepository,
    private readonly audit: AuditTrail,
  ) {}

  get(scope: TenantScope): Promise<RateLimits> {
    return this.db.inTenant(scope, (t) => this.read(t));
  }

  /** Replaces the tenant's rate limits; a limit left out (or null) is unlimited. */
  replace(caller: TenantCaller, limits: RateLimits): Promise<RateLimits> {
    return this.db.inTenant(caller.tenant, async (t) => {
      const before = await this.read(t);
      await this.limits.set(t, 'TENANT', {
        requestsPerMinute: limits.tenantRequestsPerMinute,
        tokensPerMinute: limits.tenantTokensPerMinute,
      });
      await this.limits.set(t, 'USER', {
        requestsPerMinute: limits.userRequestsPerMinute,
        tokensPerMinute: null,
      });
      const after = await this.read(t);
      await this.audit.record(t, caller, {
        action: 'limits.updated',
        targetType: 'rate_limits',
        targetId: null,
        metadata: { from: before, to: after },
      });
      return after;
    });
  }

  private async read(t: TenantTx): Promise<RateLimits> {
    const rows = await this.limits.all(t);
    return {
      tenantRequestsPerMinute: rows.get('TENANT')?.requestsPerMinute ?? null,
      tenantTokensPerMinute: rows.get('TENANT')?.tokensPerMinute ?? null,
      userRequestsPerMinute: rows.get('USER')?.requestsPerMinute ?? null,
    };
  }
}
