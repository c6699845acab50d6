// Shared by the specs of this folder (not part of the public surface).
import { TaskDefinition, TASK_DEFINITION_LANGUAGE } from './task-definition.schema';

/** `steps[2].next`, as the API's validation pipe renders a zod issue path. */
export function renderPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

/** Every problem TaskDefinition reports, as `path: message` lines; empty when it parses. */
export function issuesOf(input: unknown): string[] {
  const result = TaskDefinition.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${renderPath(issue.path)}: ${issue.message}`);
}

/** A definition around some steps, starting at the first one. */
export function definitionOf(
  steps: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
) {
  return { language: TASK_DEFINITION_LANGUAGE, start: steps[0].id, steps, ...extra };
}

export const llm = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'llm',
  model: 'openai/gpt-4o-mini',
  prompt: `Do ${id}`,
  ...extra,
});

export const tool = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'tool',
  tool: 'crm-lookup',
  ...extra,
});

/** The language example: every step type, templates, a condition, an approval and a fan-out. */
export const SUPPORT_TASK = {
  language: 'gnomon.task/v1',
  description: 'Triage a refund request',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string' }, amount: { type: 'number' }, id: { type: 'string' } },
    required: ['text'],
  },
  start: 'classify',
  steps: [
    {
      id: 'classify',
      type: 'llm',
      model: 'gpt-4o-mini',
      system: 'You triage support tickets.',
      prompt: 'Classify: {{input.text}}',
      tools: ['crm-lookup'],
      maxTurns: 10,
      outputSchema: { type: 'object' },
      temperature: 0.2,
      maxTokens: 1024,
      next: 'route',
      timeoutSeconds: 120,
      retry: { maxAttempts: 3, backoffSeconds: 2, backoffRate: 2 },
    },
    {
      id: 'route',
      type: 'branch',
      cases: [
        {
          when: "steps.classify.output.priority == 'high' && input.amount > 100",
          next: 'lookup',
        },
      ],
      default: 'fan',
      maxVisits: 5,
    },
    {
      id: 'lookup',
      type: 'tool',
      tool: 'crm-lookup',
      version: 3,
      input: { customer: '{{steps.classify.output.customerId}}', note: 'id {{input.id}}' },
      next: 'review',
    },
    {
      id: 'review',
      type: 'approval',
      prompt: 'Refund {{steps.lookup.output.amount}}?',
      timeoutSeconds: 86400,
      approvers: { roles: ['OWNER', 'ADMIN'] },
      next: 'notify',
      onReject: 'apologise',
      onTimeout: 'escalate',
    },
    { id: 'fan', type: 'parallel', branches: [{ start: 'a' }, { start: 'b' }], next: 'join' },
    { id: 'a', type: 'llm', model: 'cheap', prompt: 'Summarise {{input.text}}' },
    { id: 'b', type: 'tool', tool: 'crm-history', input: { id: '{{input.id}}' }, next: 'b2' },
    { id: 'b2', type: 'llm', model: 'cheap', prompt: 'Digest {{steps.b.output}}' },
    {
      id: 'join',
      type: 'llm',
      model: 'gpt-4o-mini',
      prompt: '{{steps.a.output}} / {{steps.b2.output}}',
      next: 'notify',
    },
    { id: 'notify', type: 'tool', tool: 'mailer', input: { to: '{{input.email}}' } },
    { id: 'apologise', type: 'llm', model: 'gpt-4o-mini', prompt: 'Write an apology' },
    { id: 'escalate', type: 'tool', tool: 'pager' },
  ],
};
