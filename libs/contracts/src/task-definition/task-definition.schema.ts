import { z } from 'zod';
import { JsonSchemaDocument, ToolName } from '../tool.dto';
import { CONDITION_LIMITS, ConditionSyntaxError, parseCondition } from './expression';
import { stringLeaves, templatePaths } from './template';
import { validateTaskGraph } from './validation';
import { STEP_ID_PATTERN } from './value-path';

/**
 * The task definition language, version 1 (`gnomon.task/v1`): a graph of steps that an agent
 * run walks from `start`. Tenants write it as JSON; the control plane validates it with
 * `TaskDefinition` (structure and every semantic rule, all reported as zod issues) and then
 * `checkTaskReferences` (tools and models against the tenant's registry).
 */

export const TASK_DEFINITION_LANGUAGE = 'gnomon.task/v1';
export const STEP_TYPES = ['llm', 'tool', 'approval', 'branch', 'parallel'] as const;
export type StepType = (typeof STEP_TYPES)[number];
export const APPROVER_ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const;
export type ApproverRole = (typeof APPROVER_ROLES)[number];

export const TASK_DEFINITION_BOUNDS = {
  steps: { min: 1, max: 200 },
  descriptionChars: 2_000,
  promptChars: 100_000,
  approvalPromptChars: 10_000,
  modelChars: 200,
  toolsPerStep: 50,
  toolInputBytes: 64 * 1024,
  maxTurns: { min: 1, max: 1_000, default: 10 },
  temperature: { min: 0, max: 2 },
  maxTokens: { min: 1, max: 200_000 },
  timeoutSeconds: { min: 1, max: 3_600, default: 300 },
  approvalTimeoutSeconds: { min: 60, max: 604_800, default: 86_400 },
  maxAttempts: { min: 1, max: 10, default: 1 },
  backoffSeconds: { min: 0, max: 300, default: 1 },
  backoffRate: { min: 1, max: 10, default: 2 },
  maxVisits: { min: 1, max: 1_000 },
  branchCases: { min: 1, max: 50 },
  parallelBranches: { min: 2, max: 10 },
} as const;

const B = TASK_DEFINITION_BOUNDS;
const int = (bound: { min: number; max: number }) => z.number().int().min(bound.min).max(bound.max);

export const StepId = z
  .string()
  .regex(STEP_ID_PATTERN, 'lower-case letters, digits, _ and -, starting with a letter (max 63)');

const StepRef = (what: string) => StepId.describe(`Id of ${what}`);

/** A string whose `{{ path }}` placeholders are checked for syntax (references: by the graph). */
const Template = (maxChars: number) =>
  z
    .string()
    .max(maxChars)
    .superRefine((source, ctx) => {
      if (source.length > maxChars) return;
      const result = templatePaths(source);
      if ('error' in result) ctx.addIssue({ code: 'custom', message: result.error.message });
    });

const JsonValue = z.json();

const ToolInput = JsonValue.superRefine((input, ctx) => {
  if (JSON.stringify(input).length > B.toolInputBytes)
    ctx.addIssue({ code: 'custom', message: 'input is larger than 64 KiB' });
  else
    for (const leaf of stringLeaves(input)) {
      const result = templatePaths(leaf.source);
      if ('error' in result)
        ctx.addIssue({ code: 'custom', path: leaf.path, message: result.error.message });
    }
});

const Condition = z
  .string()
  .min(1)
  .max(CONDITION_LIMITS.maxLength)
  .superRefine((source, ctx) => {
    if (!source || source.length > CONDITION_LIMITS.maxLength) return;
    try {
      parseCondition(source);
    } catch (error) {
      if (!(error instanceof ConditionSyntaxError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
    }
  });

export const RetryPolicy = z
  .strictObject({
    maxAttempts: int(B.maxAttempts)
      .default(B.maxAttempts.default)
      .describe('Attempts in all, the first included (1 = no retry)'),
    backoffSeconds: int(B.backoffSeconds)
      .default(B.backoffSeconds.default)
      .describe('Wait before the first retry'),
    backoffRate: z
      .number()
      .min(B.backoffRate.min)
      .max(B.backoffRate.max)
      .default(B.backoffRate.default)
      .describe('Multiplier of the wait for each further retry'),
  })
  .describe('Retries of retryable failures (provider errors, timeouts, tool crashes)');
export type RetryPolicy = z.infer<typeof RetryPolicy>;

const maxVisits = int(B.maxVisits)
  .optional()
  .describe(
    'How many times one run may enter this step; the run FAILS when it would enter once more. ' +
      'Every cycle in the graph needs it on at least one of its steps',
  );

const Execution = {
  timeoutSeconds: int(B.timeoutSeconds)
    .default(B.timeoutSeconds.default)
    .describe('Deadline of one attempt'),
  retry: RetryPolicy.prefault({}),
};

const NextStep = StepRef(
  'the step that follows; without it the run (or its parallel branch) ends successfully',
).optional();

export const LlmStep = z.strictObject({
  id: StepId,
  type: z.literal('llm'),
  model: z
    .string()
    .min(1)
    .max(B.modelChars)
    .describe('A catalog model id ("provider/model") or a route alias of the tenant'),
  system: Template(B.promptChars).optional().describe('System prompt (template)'),
  prompt: Template(B.promptChars).describe('User prompt (template over input and step outputs)'),
  tools: z
    .array(ToolName)
    .max(B.toolsPerStep)
    .refine((tools) => new Set(tools).size === tools.length, 'a tool appears twice')
    .optional()
    .describe('Tools the model may call (current versions); makes the step an agent loop'),
  maxTurns: int(B.maxTurns)
    .default(B.maxTurns.default)
    .describe('Bound on model turns of the agent loop (used when tools are given)'),
  outputSchema: JsonSchemaDocument.optional().describe(
    'JSON Schema the final answer must match; the output is then the parsed JSON, else the text',
  ),
  temperature: z.number().min(B.temperature.min).max(B.temperature.max).optional(),
  maxTokens: int(B.maxTokens).optional().describe('Cap on tokens generated per model turn'),
  next: NextStep,
  ...Execution,
  maxVisits,
});
export type LlmStep = z.infer<typeof LlmStep>;

export const ToolStep = z.strictObject({
  id: StepId,
  type: z.literal('tool'),
  tool: ToolName.describe('Name of a tool in the tenant registry'),
  version: z
    .number()
    .int()
    .min(1)
    .max(2_147_483_647)
    .optional()
    .describe('Pinned tool version; the current version when absent'),
  input: ToolInput.default({}).describe(
    'The tool input (at most 64 KiB); every string in it is a template',
  ),
  next: NextStep,
  ...Execution,
  maxVisits,
});
export type ToolStep = z.infer<typeof ToolStep>;

export const ApprovalStep = z.strictObject({
  id: StepId,
  type: z.literal('approval'),
  prompt: Template(B.approvalPromptChars).describe('What the approver is asked (template)'),
  timeoutSeconds: int(B.approvalTimeoutSeconds)
    .default(B.approvalTimeoutSeconds.default)
    .describe('How long the request stays open before it expires'),
  approvers: z
    .strictObject({
      roles: z
        .array(z.enum(APPROVER_ROLES))
        .min(1)
        .refine((roles) => new Set(roles).size === roles.length, 'a role appears twice')
        .default(['OWNER', 'ADMIN']),
    })
    .prefault({})
    .describe('Tenant members who may decide'),
  next: StepRef('the step after approval; without it the run ends SUCCEEDED').optional(),
  onReject: StepRef('the step after rejection; without it the run ends FAILED').optional(),
  onTimeout: StepRef('the step after expiry; without it the run ends TIMED_OUT').optional(),
  maxVisits,
});
export type ApprovalStep = z.infer<typeof ApprovalStep>;

export const BranchCase = z.strictObject({
  when: Condition.describe('Condition expression over input and step outputs'),
  next: StepRef('the step taken when the condition holds'),
});
export type BranchCase = z.infer<typeof BranchCase>;

export const BranchStep = z.strictObject({
  id: StepId,
  type: z.literal('branch'),
  cases: z
    .array(BranchCase)
    .min(B.branchCases.min)
    .max(B.branchCases.max)
    .describe('Tried in order; the first whose condition is true wins'),
  default: StepRef('the step taken when no case matches'),
  maxVisits,
});
export type BranchStep = z.infer<typeof BranchStep>;

export const ParallelBranch = z.strictObject({
  start: StepRef("the branch's first step"),
});
export type ParallelBranch = z.infer<typeof ParallelBranch>;

export const ParallelStep = z.strictObject({
  id: StepId,
  type: z.literal('parallel'),
  branches: z
    .array(ParallelBranch)
    .min(B.parallelBranches.min)
    .max(B.parallelBranches.max)
    .describe(
      'Run concurrently; a branch is every step reachable from its start, entered only there, ' +
        'shared with no other branch, ending in a step without next, and free of approval and ' +
        'parallel steps',
    ),
  next: StepRef('the join: the step run once every branch has ended'),
  maxVisits,
});
export type ParallelStep = z.infer<typeof ParallelStep>;

export const TaskStep = z.discriminatedUnion('type', [
  LlmStep,
  ToolStep,
  ApprovalStep,
  BranchStep,
  ParallelStep,
]);
export type TaskStep = z.infer<typeof TaskStep>;

const TaskDefinitionObject = z.strictObject({
  language: z
    .literal(TASK_DEFINITION_LANGUAGE, {
      error: `unsupported language; expected "${TASK_DEFINITION_LANGUAGE}"`,
    })
    .describe('Version of the task definition language'),
  description: z.string().max(B.descriptionChars).optional(),
  inputSchema: JsonSchemaDocument.optional().describe('JSON Schema of the run input'),
  start: StepRef('the first step'),
  steps: z
    .array(TaskStep)
    .min(B.steps.min)
    .max(B.steps.max)
    .describe('The steps: ids are unique and every step is reachable from start'),
});
export type TaskDefinition = z.infer<typeof TaskDefinitionObject>;

/** A task definition: structure plus every semantic rule (see validateTaskGraph). */
export const TaskDefinition = TaskDefinitionObject.superRefine(validateTaskGraph).meta({
  title: `Gnomon task definition (${TASK_DEFINITION_LANGUAGE})`,
});
export type TaskDefinitionInput = z.input<typeof TaskDefinition>;
