import { Injectable } from '@nestjs/common';
import type { TenantTx } from '@gnomon/db';

/** Where a step's output is: inline (`output`), or in the artifact bucket (`outputRef`). */
export interface StepOutputLocation {
  output: unknown;
  outputRef: string | null;
}

@Injectable()
export class StepOutputRepository {
  /** The step's output, if the step belongs to this run of this tenant. */
  find(t: TenantTx, runId: string, stepId: string): Promise<StepOutputLocation | null> {
    return t.db.step.findFirst({
      where: { id: stepId, runId, tenantId: t.scope.tenantId },
      select: { output: true, outputRef: true },
    });
  }
}
