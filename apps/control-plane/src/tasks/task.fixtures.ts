// Test-only: tasks and the tenant setup they need, shared by the task int-specs.
import type { ControlPlaneHarness } from '../testing/control-plane-harness';

export type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

/** The js tool the definitions below call. */
export const LOOKUP_TOOL = {
  name: 'lookup',
  kind: 'js',
  source: 'export default ({ id }) => ({ id, priority: "high" });',
};

/** A valid definition: an agent step with a tool, a branch, a tool step and a final llm step. */
export const TRIAGE = {
  language: 'gnomon.task/v1',
  start: 'classify',
  steps: [
    {
      id: 'classify',
      type: 'llm',
      model: 'openai/gpt-4o-mini',
      prompt: 'Classify {{input.text}}',
      tools: ['lookup'],
      next: 'route',
    },
    {
      id: 'route',
      type: 'branch',
      cases: [{ when: "steps.classify.output.priority == 'high'", next: 'fetch' }],
      default: 'answer',
    },
    { id: 'fetch', type: 'tool', tool: 'lookup', input: { id: '{{input.id}}' }, next: 'answer' },
    { id: 'answer', type: 'llm', model: 'default', prompt: 'Answer {{input.text}}' },
  ],
};

/** A second valid definition (for new versions): one step, no tools. */
export const SUMMARY = {
  language: 'gnomon.task/v1',
  start: 'summarise',
  steps: [{ id: 'summarise', type: 'llm', model: 'gemini-2.5-flash', prompt: 'Sum up {{input}}' }],
};

/** A tenant with the `lookup` tool (so TRIAGE is valid in it). */
export async function tenantWithTool(h: ControlPlaneHarness): Promise<Tenant> {
  const tenant = await h.createTenant();
  const res = await h.request('POST', '/api/v1/tools', { key: tenant.key, body: LOOKUP_TOOL });
  if (res.status !== 201) throw new Error(`tool creation failed: ${JSON.stringify(res.body)}`);
  return tenant;
}

/** Everything a task request could write for this tenant. */
export async function storedTasks(h: ControlPlaneHarness, tenant: Tenant) {
  return {
    tasks: await h.sql('select * from tasks where tenant_id = $1 order by id', [tenant.id]),
    versions: await h.sql('select * from task_versions where tenant_id = $1 order by id', [
      tenant.id,
    ]),
    audit: await h.sql(
      `select action, metadata from audit_logs where tenant_id = $1 and action like 'task.%'
        order by created_at`,
      [tenant.id],
    ),
  };
}
