import { Injectable } from '@nestjs/common';
import type { USAGE_GROUPS } from '@gnomon/contracts';
import { Prisma, type TenantTx } from '@gnomon/db';

export type UsageGroup = (typeof USAGE_GROUPS)[number];

/** One group's sums, as the database returns them (exact decimal text). */
export interface UsageSums {
  key: string | null;
  calls: string;
  failedCalls: string;
  inputTokens: string;
  outputTokens: string;
  cachedTokens: string;
  costMicros: string;
}

/** Refused rate-limited calls of one UTC day. */
export interface DayHits {
  day: string;
  hits: number;
}

/** The gateway's code for a call refused by a tenant or user rate limit (status FAILED). */
export const RATE_LIMIT_ERROR_CODE = 'rate_limit_exceeded';

/** The grouping key of each group-by: fixed SQL, never built from input. */
const KEY: Record<UsageGroup, Prisma.Sql> = {
  day: Prisma.sql`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`,
  model: Prisma.sql`model`,
  provider: Prisma.sql`provider`,
  apiKey: Prisma.sql`api_key_id::text`,
};

@Injectable()
export class UsageRepository {
  /** The tenant's model calls in [from, to), summed per group, ordered by key (nulls last). */
  sums(t: TenantTx, from: Date, to: Date, groupBy: UsageGroup): Promise<UsageSums[]> {
    return t.db.$queryRaw<UsageSums[]>`
      select ${KEY[groupBy]} as "key",
             count(*)::text as "calls",
             count(*) filter (where status = 'FAILED')::text as "failedCalls",
             coalesce(sum(input_tokens), 0)::text as "inputTokens",
             coalesce(sum(output_tokens), 0)::text as "outputTokens",
             coalesce(sum(cached_tokens), 0)::text as "cachedTokens",
             coalesce(sum(cost_micros), 0)::text as "costMicros"
        from llm_events
       where tenant_id = ${t.scope.tenantId}::uuid
         and created_at >= ${from.toISOString()}::timestamptz
         and created_at < ${to.toISOString()}::timestamptz
       group by 1
       order by 1 asc nulls last`;
  }

  /** The tenant's rate-limit refusals in [from, to) per UTC day (days without any left out). */
  rateLimitHits(t: TenantTx, from: Date, to: Date): Promise<DayHits[]> {
    return t.db.$queryRaw<DayHits[]>`
      select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as "day",
             count(*)::int as "hits"
        from llm_events
       where tenant_id = ${t.scope.tenantId}::uuid
         and error_code = ${RATE_LIMIT_ERROR_CODE}
         and created_at >= ${from.toISOString()}::timestamptz
         and created_at < ${to.toISOString()}::timestamptz
       group by 1
       order by 1`;
  }
}
