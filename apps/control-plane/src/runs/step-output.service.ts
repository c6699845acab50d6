import { Inject, Injectable } from '@nestjs/common';
import { TenantDatabase, type TenantScope } from '@gnomon/db';
import { ApiError, notFound } from '@gnomon/http-api';
import type { Logger } from '@gnomon/observability';
import type { Readable } from 'node:stream';
import { LOGGER } from '../platform/tokens';
import { StepOutputRepository } from './step-output.repository';
import { StepOutputStore } from './step-output.store';

/** A step's output as JSON text, from the row or streamed from the bucket. */
export interface StepOutputBody {
  body: Buffer | Readable;
  length: number | undefined;
}

/** Where the worker may have put this run's outputs; nothing outside it is ever read. */
export const runOutputPrefix = (tenantId: string, runId: string) =>
  `tenants/${tenantId}/runs/${runId}/`;

@Injectable()
export class StepOutputService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly steps: StepOutputRepository,
    private readonly store: StepOutputStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * The step's full output: inline outputs from Postgres, offloaded ones (above 32 KiB) from
   * the artifact bucket. `null` while the step has none. Unknown steps, steps of another run
   * and other tenants' steps are all 404.
   */
  async output(scope: TenantScope, runId: string, stepId: string): Promise<StepOutputBody> {
    const step = await this.db.inTenant(scope, (t) => this.steps.find(t, runId, stepId));
    if (!step) throw notFound('step');
    if (step.outputRef === null) {
      const body = Buffer.from(JSON.stringify(step.output ?? null), 'utf8');
      return { body, length: body.length };
    }
    if (!step.outputRef.startsWith(runOutputPrefix(scope.tenantId, runId))) {
      // Only the worker writes output_ref, always under the run's prefix: anything else is a bug.
      throw new Error(`step ${stepId} has an output_ref outside its run's prefix`);
    }
    const stored = await this.store.open(step.outputRef).catch((error: unknown) => {
      this.logger.warn({ err: error, tenantId: scope.tenantId, runId, stepId }, 'S3 read failed');
      throw new ApiError('service_unavailable', 'the step output store did not answer; retry');
    });
    if (!stored) throw new ApiError('not_found', "the step's output is no longer stored");
    return { body: stored.stream, length: stored.length };
  }
}
