import { budgetPeriodFromKey, type BudgetCounterRef } from './budget-period';

/**
 * Redis key layout. Every key of a tenant carries the hash tag `{t:<tenantId>}`, so one
 * tenant's keys live in one Cluster slot and a script may touch them all.
 *
 *   <p>:{t:T}:rl:t                      ZSET  tenant request log, member `<eventId>|<tokens>`, score ms
 *   <p>:{t:T}:rl:t:tokens               STR   sum of the tokens in the tenant log
 *   <p>:{t:T}:rl:u:<userId>             ZSET  user request log, member `<eventId>`, score ms
 *   <p>:{t:T}:b:<scope>:<id>:<period>   HASH  budget counter {spent, reserved, gen, alerted}
 *   <p>:{t:T}:b:<scope>:<id>:<period>:leases ZSET `<eventId>|<micros>`, score = lease expiry ms
 *   <p>:{t:T}:res:<eventId>             HASH  reservation {st, est, m, tl, g1..gn}
 */
export class GovernanceKeys {
  constructor(private readonly prefix: string = 'gnomon') {}

  tenantTag(tenantId: string): string {
    return `${this.prefix}:{t:${tenantId}}`;
  }

  reservation(tenantId: string, eventId: string): string {
    return `${this.tenantTag(tenantId)}:res:${eventId}`;
  }

  tenantLog(tenantId: string): string {
    return `${this.tenantTag(tenantId)}:rl:t`;
  }

  tenantTokens(tenantId: string): string {
    return `${this.tenantTag(tenantId)}:rl:t:tokens`;
  }

  userLog(tenantId: string, userId: string): string {
    return `${this.tenantTag(tenantId)}:rl:u:${userId}`;
  }

  budget(tenantId: string, ref: Pick<BudgetCounterRef, 'scope' | 'scopeId' | 'periodKey'>): string {
    return `${this.tenantTag(tenantId)}:b:${ref.scope}:${ref.scopeId}:${ref.periodKey}`;
  }

  leases(tenantId: string, ref: Pick<BudgetCounterRef, 'scope' | 'scopeId' | 'periodKey'>): string {
    return `${this.budget(tenantId, ref)}:leases`;
  }

  /** SCAN/KEYS pattern matching every key of one tenant (admin tooling, tests). */
  tenantPattern(tenantId: string): string {
    return `${this.tenantTag(tenantId).replace(/[*?[\]\\]/g, (c) => `\\${c}`)}:*`;
  }
}

/** What a reservation id carries: enough to name every key the settle script touches. */
export interface ReservationRef {
  eventId: string;
  tenantId: string;
  budgets: BudgetCounterRef[];
}

const enc = (s: string) => encodeURIComponent(s).replace(/\./g, '%2E');
const SCOPE_CODES = { tenant: 't', apiKey: 'a' } as const;

/**
 * `<eventId>.<tenantId>.<t|a>:<scopeId>:<periodKey>,…` with the parts URI-encoded. Opaque to
 * callers; it names the keys so that settle/release stay one round trip on any instance and
 * every key the script touches is declared (Cluster-safe).
 */
export function encodeReservationId(ref: ReservationRef): string {
  const budgets = ref.budgets
    .map((b) => `${SCOPE_CODES[b.scope]}:${enc(b.scopeId)}:${b.periodKey}`)
    .join(',');
  return `${ref.eventId}.${enc(ref.tenantId)}.${budgets}`;
}

export function decodeReservationId(reservationId: string): ReservationRef {
  const parts = reservationId.split('.');
  const [eventId, tenant, budgetPart] = parts;
  if (parts.length !== 3 || !eventId || !tenant || budgetPart === undefined) {
    throw new RangeError('malformed reservation id');
  }
  try {
    const budgets = budgetPart === '' ? [] : budgetPart.split(',').map(decodeBudget);
    return { eventId, tenantId: decodeURIComponent(tenant), budgets };
  } catch (error) {
    throw new RangeError('malformed reservation id', { cause: error });
  }
}

function decodeBudget(text: string): BudgetCounterRef {
  const [code, scopeId, periodKey, extra] = text.split(':');
  const period = budgetPeriodFromKey(periodKey ?? '');
  const scope = code === 't' ? 'tenant' : code === 'a' ? 'apiKey' : null;
  if (!scope || scopeId === undefined || !period || extra !== undefined) {
    throw new RangeError(`bad budget part ${text}`);
  }
  return { scope, scopeId: decodeURIComponent(scopeId), ...period };
}
