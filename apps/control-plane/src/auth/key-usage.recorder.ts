import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@gnomon/auth';
import { TenantDatabase, tenantScope } from '@gnomon/db';
import type { Logger } from '@gnomon/observability';
import { LOGGER } from '../platform/tokens';

const TOUCH_INTERVAL_MS = 60_000;

/**
 * Keeps `lastUsedAt` of API keys roughly current without a database write per request: at
 * most one write per key per minute per instance, off the request path.
 */
@Injectable()
export class KeyUsageRecorder {
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly db: TenantDatabase,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  touch(principal: Principal): void {
    if (principal.type !== 'API_KEY' || !principal.tenantId) return;
    const now = Date.now();
    const last = this.lastTouched.get(principal.id);
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    if (this.lastTouched.size > 50_000) this.lastTouched.clear();
    this.lastTouched.set(principal.id, now);
    const keyId = principal.id;
    this.db
      .inTenant(tenantScope(principal.tenantId), (t) =>
        t.db.apiKey.updateMany({
          where: { id: keyId, tenantId: t.scope.tenantId },
          data: { lastUsedAt: new Date(now) },
        }),
      )
      .catch((err: unknown) => this.logger.warn({ err, keyId }, 'could not record API key use'));
  }
}
