import type { Prisma, TenantTx, ToolEventRow } from '@gnomon/db';

export interface ToolCallRecord {
  runId: string;
  stepId: string;
  callKey: string;
  toolName: string;
  toolVersion: number;
  executionId: string | null;
  status: string;
  input: unknown;
  output: unknown;
  error: unknown;
  durationMs: number;
}

const json = (value: unknown) => (value ?? null) as Prisma.InputJsonValue;

/** Tool calls made by steps; one per (step, call key), so a redelivered step reuses them. */
export class ToolEventRepository {
  find(t: TenantTx, stepId: string, callKey: string): Promise<ToolEventRow | null> {
    return t.db.toolEvent.findFirst({ where: { stepId, callKey } });
  }

  async record(t: TenantTx, call: ToolCallRecord): Promise<void> {
    await t.db.toolEvent.upsert({
      where: { stepId_callKey: { stepId: call.stepId, callKey: call.callKey } },
      update: {},
      create: {
        tenantId: t.scope.tenantId,
        runId: call.runId,
        stepId: call.stepId,
        callKey: call.callKey,
        toolName: call.toolName,
        toolVersion: call.toolVersion,
        executionId: call.executionId,
        status: call.status,
        input: json(call.input),
        output: json(call.output),
        error: json(call.error),
        durationMs: call.durationMs,
      },
    });
  }
}
