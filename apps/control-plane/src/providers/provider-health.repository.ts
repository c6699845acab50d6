import { Injectable } from '@nestjs/common';
import type { PlatformTx } from '@gnomon/db';

/** One provider model's calls in a window, as the database sums them (exact decimal text). */
export interface ModelLatency {
  provider: string;
  model: string;
  calls: string;
  failedCalls: string;
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Platform-wide call figures per provider model (the gnomon_platform_llm_latency door). */
@Injectable()
export class ProviderHealthRepository {
  latency(p: PlatformTx, from: Date, to: Date): Promise<ModelLatency[]> {
    return p.db.$queryRaw<ModelLatency[]>`
      select provider, model, calls::text as "calls", failed_calls::text as "failedCalls",
             p50_ms as "p50Ms", p95_ms as "p95Ms"
        from gnomon_platform_llm_latency(${from.toISOString()}::timestamptz,
                                         ${to.toISOString()}::timestamptz)
       order by provider, model`;
  }
}
