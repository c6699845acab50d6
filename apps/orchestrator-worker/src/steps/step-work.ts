import type { TaskDefinition } from '@gnomon/contracts';
import type { RunRow, StepRow, TenantScope } from '@gnomon/db';
import type { StepUsage } from '@gnomon/runs';
import type { RunScope } from '@gnomon/workflow';
import type { StepPlan } from './step-routing';

/** One claimed step attempt being executed. */
export interface StepWork {
  scope: TenantScope;
  run: RunRow;
  step: StepRow;
  definition: TaskDefinition;
  runScope: RunScope;
  signal: AbortSignal;
}

/** What executing a step produced. */
export interface StepResult {
  output: unknown;
  plan: StepPlan;
  /** What the step was given (rendered prompt, tool input), shown by the steps API. */
  input?: unknown;
  /** A model call's usage not yet recorded (saved with the result). */
  usage?: StepUsage;
}
