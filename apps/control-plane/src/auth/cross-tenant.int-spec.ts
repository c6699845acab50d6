import { randomUUID } from 'node:crypto';
import { routeCatalog } from '@gnomon/http-api';
import { memberWithSession } from '../sessions/session.fixtures';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

/**
 * Every endpoint's cross-tenant case, as a table. Tenant B (a key with every scope) aims at
 * tenant A's objects; the last test checks that the table covers every route of the catalog
 * that takes an `{id}` or is tenant-scoped, so a new endpoint without a case fails here.
 */
type Target =
  | 'member'
  | 'key'
  | 'tenant'
  | 'credential'
  | 'tool'
  | 'toolName'
  | 'task'
  | 'taskName'
  | 'run'
  | 'step'
  | 'approval';
type Expectation =
  | { kind: 'foreign_id_is_404'; target: Target }
  | {
      kind: 'list_excludes_foreign_rows';
      itemsOf:
        | 'members'
        | 'api-keys'
        | 'audit-log'
        | 'provider-credentials'
        | 'tools'
        | 'tasks'
        | 'runs'
        | 'approvals';
    }
  | { kind: 'create_with_foreign_member_is_404' }
  | { kind: 'start_with_foreign_task_is_404' }
  | {
      kind: 'create_lands_in_own_tenant';
      table?: 'members' | 'provider_credentials' | 'tools' | 'tasks';
    }
  | { kind: 'answers_own_identity' }
  | { kind: 'reads_own_settings_only'; own: Record<string, unknown> }
  | { kind: 'reads_own_text_only'; own: string }
  | { kind: 'replace_lands_in_own_tenant'; table: 'llm_route_configs' }
  | { kind: 'admin_route_is_403'; target?: Target };

interface CrossTenantCase {
  method: string;
  route: string;
  query?: string;
  body?: Record<string, unknown>;
  expect: Expectation;
}

const TASK_DEFINITION = {
  language: 'gnomon.task/v1',
  start: 'ask',
  steps: [{ id: 'ask', type: 'approval', prompt: 'May I?' }],
};

const CASES: CrossTenantCase[] = [
  { method: 'GET', route: '/api/v1/me', expect: { kind: 'answers_own_identity' } },
  {
    method: 'GET',
    route: '/api/v1/members',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'members' },
  },
  {
    method: 'POST',
    route: '/api/v1/members',
    body: { email: 'b-new@example.test', name: 'New', role: 'MEMBER' },
    expect: { kind: 'create_lands_in_own_tenant' },
  },
  {
    method: 'GET',
    route: '/api/v1/members/{id}',
    expect: { kind: 'foreign_id_is_404', target: 'member' },
  },
  {
    method: 'PATCH',
    route: '/api/v1/members/{id}',
    body: { role: 'VIEWER', name: 'Hijacked' },
    expect: { kind: 'foreign_id_is_404', target: 'member' },
  },
  {
    method: 'DELETE',
    route: '/api/v1/members/{id}',
    expect: { kind: 'foreign_id_is_404', target: 'member' },
  },
  {
    method: 'POST',
    route: '/api/v1/members/{id}/reset-link',
    expect: { kind: 'foreign_id_is_404', target: 'member' },
  },
  {
    method: 'GET',
    route: '/api/v1/api-keys',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'api-keys' },
  },
  {
    method: 'POST',
    route: '/api/v1/api-keys',
    body: { name: 'sneaky', scopes: ['tasks:read'] /* memberId: A's member */ },
    expect: { kind: 'create_with_foreign_member_is_404' },
  },
  {
    method: 'GET',
    route: '/api/v1/api-keys/{id}',
    expect: { kind: 'foreign_id_is_404', target: 'key' },
  },
  {
    method: 'POST',
    route: '/api/v1/api-keys/{id}/revoke',
    expect: { kind: 'foreign_id_is_404', target: 'key' },
  },
  {
    method: 'POST',
    route: '/api/v1/api-keys/{id}/rotate',
    body: { gracePeriodSeconds: 0 },
    expect: { kind: 'foreign_id_is_404', target: 'key' },
  },
  {
    method: 'GET',
    route: '/api/v1/audit-log',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'audit-log' },
  },
  {
    method: 'GET',
    route: '/api/v1/llm-routes',
    expect: {
      kind: 'reads_own_settings_only',
      own: { allowedModels: null, routes: {}, version: 0, updatedAt: null },
    },
  },
  {
    method: 'PUT',
    route: '/api/v1/llm-routes',
    body: { routes: {} },
    expect: { kind: 'replace_lands_in_own_tenant', table: 'llm_route_configs' },
  },
  {
    method: 'GET',
    route: '/api/v1/limits',
    expect: {
      kind: 'reads_own_settings_only',
      own: {
        tenantRequestsPerMinute: null,
        tenantTokensPerMinute: null,
        userRequestsPerMinute: null,
      },
    },
  },
  {
    method: 'PUT',
    route: '/api/v1/limits',
    body: { tenantRequestsPerMinute: 1 },
    expect: { kind: 'admin_route_is_403' },
  },
  {
    method: 'GET',
    route: '/api/v1/budget',
    expect: { kind: 'reads_own_settings_only', own: { policies: [] } },
  },
  {
    method: 'PUT',
    route: '/api/v1/budget',
    body: { policies: [] },
    expect: { kind: 'admin_route_is_403' },
  },
  {
    method: 'GET',
    route: '/api/v1/usage',
    query: 'from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z&groupBy=apiKey',
    expect: { kind: 'reads_own_settings_only', own: { rows: [], totals: { calls: 0 } } },
  },
  {
    method: 'GET',
    route: '/api/v1/usage/export',
    query: 'from=2026-03-01T00:00:00Z&to=2026-03-03T00:00:00Z',
    expect: {
      kind: 'reads_own_text_only',
      own: 'day,calls,failed_calls,input_tokens,output_tokens,cached_tokens,cost_micros,cost_usd\r\n',
    },
  },
  {
    method: 'GET',
    route: '/api/v1/usage/rate-limits',
    query: 'from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z',
    expect: { kind: 'reads_own_settings_only', own: { items: [{ day: '2026-03-01', hits: 0 }] } },
  },
  {
    method: 'GET',
    route: '/api/v1/overview',
    expect: {
      kind: 'reads_own_settings_only',
      own: { spendTodayMicros: '0', spendMonthMicros: '0' },
    },
  },
  {
    method: 'GET',
    route: '/api/v1/provider-credentials',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'provider-credentials' },
  },
  {
    method: 'POST',
    route: '/api/v1/provider-credentials',
    body: { provider: 'anthropic', label: 'b-own', apiKey: 'sk-ant-b-own-key' },
    expect: { kind: 'create_lands_in_own_tenant', table: 'provider_credentials' },
  },
  {
    method: 'GET',
    route: '/api/v1/provider-credentials/{id}',
    expect: { kind: 'foreign_id_is_404', target: 'credential' },
  },
  {
    method: 'DELETE',
    route: '/api/v1/provider-credentials/{id}',
    expect: { kind: 'foreign_id_is_404', target: 'credential' },
  },
  {
    method: 'GET',
    route: '/api/v1/tools',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'tools' },
  },
  {
    method: 'POST',
    route: '/api/v1/tools',
    // A's tool has this name too: names are per tenant.
    body: { name: 'a-tool', kind: 'js', source: 'export default () => "b"' },
    expect: { kind: 'create_lands_in_own_tenant', table: 'tools' },
  },
  // Tools are addressed by id or by name; both of A's are 404 for B.
  ...(['tool', 'toolName'] as const).flatMap((target): CrossTenantCase[] => [
    { method: 'GET', route: '/api/v1/tools/{id}', expect: { kind: 'foreign_id_is_404', target } },
    {
      method: 'PUT',
      route: '/api/v1/tools/{id}',
      body: { kind: 'js', source: 'export default () => "hijacked"' },
      expect: { kind: 'foreign_id_is_404', target },
    },
    {
      method: 'DELETE',
      route: '/api/v1/tools/{id}',
      expect: { kind: 'foreign_id_is_404', target },
    },
    {
      method: 'GET',
      route: '/api/v1/tools/{id}/versions',
      expect: { kind: 'foreign_id_is_404', target },
    },
    {
      method: 'GET',
      route: '/api/v1/tools/{id}/versions/{version}',
      expect: { kind: 'foreign_id_is_404', target },
    },
  ]),
  { method: 'GET', route: '/api/v1/admin/tenants', expect: { kind: 'admin_route_is_403' } },
  {
    method: 'POST',
    route: '/api/v1/admin/tenants',
    body: { name: 'evil', owner: { email: 'evil@example.test', name: 'Evil' } },
    expect: { kind: 'admin_route_is_403' },
  },
  {
    method: 'GET',
    route: '/api/v1/admin/tenants/{id}',
    expect: { kind: 'admin_route_is_403', target: 'tenant' },
  },
  {
    method: 'PATCH',
    route: '/api/v1/admin/tenants/{id}',
    body: { status: 'SUSPENDED' },
    expect: { kind: 'admin_route_is_403', target: 'tenant' },
  },
  {
    method: 'DELETE',
    route: '/api/v1/admin/tenants/{id}',
    expect: { kind: 'admin_route_is_403', target: 'tenant' },
  },
  {
    method: 'GET',
    route: '/api/v1/tasks',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'tasks' },
  },
  {
    method: 'POST',
    route: '/api/v1/tasks',
    // A's task has this name too: names are per tenant.
    body: { name: 'a-task', definition: TASK_DEFINITION },
    expect: { kind: 'create_lands_in_own_tenant', table: 'tasks' },
  },
  ...(['task', 'taskName'] as const).flatMap((target): CrossTenantCase[] => [
    { method: 'GET', route: '/api/v1/tasks/{id}', expect: { kind: 'foreign_id_is_404', target } },
    {
      method: 'PUT',
      route: '/api/v1/tasks/{id}',
      body: { definition: TASK_DEFINITION },
      expect: { kind: 'foreign_id_is_404', target },
    },
    {
      method: 'GET',
      route: '/api/v1/tasks/{id}/versions',
      expect: { kind: 'foreign_id_is_404', target },
    },
    {
      method: 'GET',
      route: '/api/v1/tasks/{id}/versions/{version}',
      expect: { kind: 'foreign_id_is_404', target },
    },
  ]),
  {
    method: 'GET',
    route: '/api/v1/runs',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'runs' },
  },
  {
    method: 'POST',
    route: '/api/v1/runs',
    body: { input: {} },
    expect: { kind: 'start_with_foreign_task_is_404' },
  },
  {
    method: 'GET',
    route: '/api/v1/runs/{id}/steps/{stepId}/output',
    expect: { kind: 'foreign_id_is_404', target: 'run' },
  },
  ...['', '/steps', '/timeline', '/metrics', '/events'].map((suffix): CrossTenantCase => ({
    method: 'GET',
    route: `/api/v1/runs/{id}${suffix}`,
    expect: { kind: 'foreign_id_is_404', target: 'run' },
  })),
  {
    method: 'POST',
    route: '/api/v1/runs/{id}/cancel',
    body: {},
    expect: { kind: 'foreign_id_is_404', target: 'run' },
  },
  {
    method: 'POST',
    route: '/api/v1/runs/{id}/replay',
    body: { fromStep: 'ask' },
    expect: { kind: 'foreign_id_is_404', target: 'run' },
  },
  {
    method: 'GET',
    route: '/api/v1/approvals',
    expect: { kind: 'list_excludes_foreign_rows', itemsOf: 'approvals' },
  },
  {
    method: 'GET',
    route: '/api/v1/approvals/{id}',
    expect: { kind: 'foreign_id_is_404', target: 'approval' },
  },
  {
    method: 'POST',
    route: '/api/v1/approvals/{id}/approve',
    body: {},
    expect: { kind: 'foreign_id_is_404', target: 'approval' },
  },
  {
    method: 'POST',
    route: '/api/v1/approvals/{id}/reject',
    body: { reason: 'not yours' },
    expect: { kind: 'foreign_id_is_404', target: 'approval' },
  },
];

/** Tenant B calls with its all-scopes API key, or as its owner signed in to the dashboard. */
const CALLERS = ['key', 'session'] as const;
type Caller = (typeof CALLERS)[number];

const name = (c: { method: string; route: string }) => `${c.method} ${c.route}`;
const catalogName = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe('cross-tenant isolation: tenant B never reaches tenant A', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  const expectProblem = (res: HttpResult, status: number, code: string) => {
    expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.items).toBeUndefined();
    expect(res.body.id).toBeUndefined();
  };

  /**
   * Tenants A and B; A gets a member and a key bound to it (made by the admin, so A's key stays
   * unused), model routing, rate limits, a budget on that key and one recorded model call.
   */
  const world = async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    const member = await h.request('POST', '/api/v1/members', {
      key: h.adminKey,
      tenant: a.id,
      body: { email: 'a-member@example.test', name: 'A member', role: 'ADMIN' },
    });
    const key = await h.request('POST', '/api/v1/api-keys', {
      key: h.adminKey,
      tenant: a.id,
      body: { name: 'a-key', scopes: ['tasks:read'], memberId: member.body.id },
    });
    expect([member.status, key.status]).toEqual([201, 201]);
    const settings = await Promise.all([
      h.request('PUT', '/api/v1/llm-routes', {
        key: h.adminKey,
        tenant: a.id,
        body: { routes: { default: { chain: ['openai/gpt-4o-mini'] } } },
      }),
      h.request('PUT', '/api/v1/limits', {
        key: h.adminKey,
        tenant: a.id,
        body: { tenantRequestsPerMinute: 5, userRequestsPerMinute: 1 },
      }),
      h.request('PUT', '/api/v1/budget', {
        key: h.adminKey,
        tenant: a.id,
        body: { policies: [{ period: 'DAILY', limitMicros: 1, apiKeyId: key.body.id }] },
      }),
    ]);
    expect(settings.map((res) => res.status)).toEqual([200, 200, 200]);
    await h.sql(
      `insert into llm_events (id, tenant_id, request_id, api_key_id, model, provider, status,
                               cost_micros, latency_ms, created_at)
       values (gen_random_uuid(), $1, 'a-call', $2, 'openai/gpt-4o-mini', 'openai', 'SUCCEEDED',
               1, 10, '2026-03-02T00:00:00Z')`,
      [a.id, key.body.id],
    );
    const credentials = await Promise.all(
      [a, b].map((tenant) =>
        h.request('POST', '/api/v1/provider-credentials', {
          key: h.adminKey,
          tenant: tenant.id,
          body: { provider: 'openai', apiKey: `sk-own-key-of-${tenant.id}` },
        }),
      ),
    );
    expect(credentials.map((res) => res.status)).toEqual([201, 201]);
    // A's tool (with a second version); B has a tool of its own under another name.
    const tools = await Promise.all(
      [a, b].map((tenant) =>
        h.request('POST', '/api/v1/tools', {
          key: h.adminKey,
          tenant: tenant.id,
          body: {
            name: `${tenant === a ? 'a' : 'b'}-tool`,
            kind: 'js',
            source: `export default () => "${tenant.id}"`,
          },
        }),
      ),
    );
    const update = await h.request('PUT', '/api/v1/tools/a-tool', {
      key: h.adminKey,
      tenant: a.id,
      body: { kind: 'js', source: 'export default () => "a2"' },
    });
    expect([...tools.map((res) => res.status), update.status]).toEqual([201, 201, 200]);
    // A's task (two versions) and B's; each tenant has a run waiting on an approval.
    const tasks = await Promise.all(
      [a, b].map((tenant) =>
        h.request('POST', '/api/v1/tasks', {
          key: h.adminKey,
          tenant: tenant.id,
          body: { name: `${tenant === a ? 'a' : 'b'}-task`, definition: TASK_DEFINITION },
        }),
      ),
    );
    const taskUpdate = await h.request('PUT', '/api/v1/tasks/a-task', {
      key: h.adminKey,
      tenant: a.id,
      body: { definition: TASK_DEFINITION },
    });
    expect([...tasks.map((res) => res.status), taskUpdate.status]).toEqual([201, 201, 200]);
    const waiting = await Promise.all(
      [a, b].map((tenant, i) => waitingRun(tenant.id, tasks[i].body.id as string)),
    );
    const ids: Record<Target, string> = {
      member: member.body.id,
      key: key.body.id,
      tenant: a.id,
      credential: credentials[0].body.id,
      tool: tools[0].body.id,
      toolName: 'a-tool',
      task: tasks[0].body.id,
      taskName: 'a-task',
      run: waiting[0].run,
      step: waiting[0].step,
      approval: waiting[0].approval,
    };
    return { a, b, ids };
  };

  /** A run of the task waiting on an approval (rows as the worker writes them). */
  const waitingRun = async (tenantId: string, taskId: string) => {
    const [version] = await h.sql<{ id: string }>(
      'select id from task_versions where task_id = $1 order by version limit 1',
      [taskId],
    );
    const [run] = await h.sql<{ id: string }>(
      `insert into runs (tenant_id, task_id, task_version_id, task_version, input, status, next_seq)
       values ($1, $2, $3, 1, '{}', 'AWAITING_APPROVAL', 2) returning id`,
      [tenantId, taskId, version.id],
    );
    const [step] = await h.sql<{ id: string }>(
      `insert into steps (tenant_id, run_id, seq, step_key, type, status)
       values ($1, $2, 1, 'ask', 'approval', 'RUNNING') returning id`,
      [tenantId, run.id],
    );
    const [approval] = await h.sql<{ id: string }>(
      `insert into approvals (tenant_id, run_id, step_id, step_key, prompt, approver_roles, expires_at, task_token)
       values ($1, $2, $3, 'ask', 'May I?', '{OWNER,ADMIN}', now() + interval '1 day', 'secret-task-token')
       returning id`,
      [tenantId, run.id, step.id],
    );
    await h.sql(`insert into run_events (tenant_id, run_id, type) values ($1, $2, 'run.created')`, [
      tenantId,
      run.id,
    ]);
    return { run: run.id, step: step.id, approval: approval.id };
  };

  /** Everything of tenant A, to show a request changed nothing. */
  const snapshot = async (tenantId: string) => ({
    tenant: await h.sql('select * from tenants where id = $1', [tenantId]),
    members: await h.sql('select * from members where tenant_id = $1 order by id', [tenantId]),
    keys: await h.sql('select * from api_keys where tenant_id = $1 order by id', [tenantId]),
    audit: await h.sql('select * from audit_logs where tenant_id = $1 order by id', [tenantId]),
    governance: await Promise.all(
      [
        'llm_route_configs',
        'rate_limit_policies',
        'budget_policies',
        'llm_events',
        'provider_credentials',
        'tools',
        'tool_versions',
        'tasks',
        'task_versions',
        'runs',
        'steps',
        'approvals',
        'run_events',
        'member_links',
        'sessions',
      ].map((table) => h.sql(`select * from ${table} where tenant_id = $1 order by 1`, [tenantId])),
    ),
  });

  /** The case's URL and body, aimed at A's objects. */
  const requestOf = (c: CrossTenantCase, ids: Record<Target, string>) => {
    const target = 'target' in c.expect ? c.expect.target : undefined;
    const path = (target ? c.route.replace('{id}', ids[target]) : c.route)
      .replace('{version}', '1')
      .replace('{stepId}', ids.step);
    const url = c.query ? `${path}?${c.query}` : path;
    if (c.expect.kind === 'create_with_foreign_member_is_404')
      return { url, body: { ...c.body, memberId: ids.member } };
    if (c.expect.kind === 'start_with_foreign_task_is_404')
      return { url, body: { ...c.body, taskId: ids.task } };
    return { url, body: c.body };
  };

  /** How B sends a request: with its key, or from a browser signed in as B's owner. */
  const senderFor = async (caller: Caller, b: { id: string; key: string; keyId: string }) => {
    if (caller === 'key')
      return (method: string, url: string, body?: unknown) =>
        h.request(method, url, { key: b.key, body });
    const email = `b-owner-${randomUUID()}@example.test`;
    const { browser } = await memberWithSession(h, b, email, 'OWNER');
    return (method: string, url: string, body?: unknown) => browser.request(method, url, { body });
  };

  const withCallers = CASES.flatMap((c) => CALLERS.map((caller) => ({ ...c, caller })));
  it.each(withCallers)(
    "$method $route with B's $caller: $expect.kind, and A is unchanged",
    async (c) => {
      const { a, b, ids } = await world();
      const send = await senderFor(c.caller, b);
      const before = await snapshot(a.id);
      const { url, body } = requestOf(c, ids);
      const res = await send(c.method, url, body);

      switch (c.expect.kind) {
        case 'foreign_id_is_404':
        case 'create_with_foreign_member_is_404':
        case 'start_with_foreign_task_is_404':
          expectProblem(res, 404, 'not_found');
          break;
        case 'admin_route_is_403':
          expectProblem(res, 403, 'forbidden');
          expect(await h.sql(`select 1 from tenants where name = 'evil'`)).toEqual([]);
          break;
        case 'answers_own_identity':
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject(
            c.caller === 'key'
              ? { type: 'API_KEY', id: b.keyId, tenantId: b.id }
              : { type: 'MEMBER', tenantId: b.id },
          );
          break;
        case 'create_lands_in_own_tenant': {
          expect(res.status).toBe(201);
          const table = c.expect.table ?? 'members';
          const rows = await h.sql(`select tenant_id from ${table} where id = $1`, [res.body.id]);
          expect(rows).toEqual([{ tenant_id: b.id }]);
          break;
        }
        case 'reads_own_settings_only':
          expect(res.status).toBe(200);
          expect(res.body).toMatchObject(c.expect.own);
          break;
        case 'reads_own_text_only':
          expect(res.status).toBe(200);
          expect(res.body).toBe(c.expect.own);
          break;
        case 'replace_lands_in_own_tenant': {
          expect(res.status).toBe(200);
          const rows = await h.sql(`select tenant_id from ${c.expect.table} where tenant_id = $1`, [
            b.id,
          ]);
          expect(rows).toEqual([{ tenant_id: b.id }]);
          break;
        }
        case 'list_excludes_foreign_rows': {
          expect(res.status).toBe(200);
          const returned: string[] = res.body.items.map((item: { id: string }) => item.id);
          const table = {
            members: 'members',
            'api-keys': 'api_keys',
            'audit-log': 'audit_logs',
            'provider-credentials': 'provider_credentials',
            tools: 'tools',
            tasks: 'tasks',
            runs: 'runs',
            approvals: 'approvals',
          }[c.expect.itemsOf];
          const own = await h.sql<{ id: string }>(`select id from ${table} where tenant_id = $1`, [
            b.id,
          ]);
          expect(returned.length).toBeGreaterThan(0);
          expect(new Set(returned)).toEqual(new Set(own.map((row) => row.id)));
          break;
        }
      }
      expect(await snapshot(a.id)).toEqual(before);
    },
  );

  const tenantFacing = CASES.filter((c) => c.expect.kind !== 'admin_route_is_403');
  it.each(tenantFacing)(
    "$method $route with B's key and X-Gnomon-Tenant: A is 403 with no data",
    async (c) => {
      const { a, b, ids } = await world();
      const before = await snapshot(a.id);
      const { url, body } = requestOf(c, ids);
      const res = await h.request(c.method, url, { key: b.key, tenant: a.id, body });
      expectProblem(res, 403, 'forbidden');
      expect(JSON.stringify(res.body)).not.toContain(ids.member);
      expect(await snapshot(a.id)).toEqual(before);
    },
  );

  it("B's session with X-Gnomon-Tenant: A is 403, reading and writing nothing", async () => {
    const { a, b, ids } = await world();
    const { browser } = await memberWithSession(h, b, 'b-session@example.test', 'OWNER');
    const before = await snapshot(a.id);
    for (const [method, url] of [
      ['GET', '/api/v1/members'],
      ['GET', `/api/v1/members/${ids.member}`],
      ['DELETE', `/api/v1/members/${ids.member}`],
    ]) {
      const res = await browser.request(method, url, { tenant: a.id });
      expectProblem(res, 403, 'forbidden');
    }
    expect(await snapshot(a.id)).toEqual(before);
  });

  it("lists stay within the tenant even when filtered by A's object id (audit-log?targetId=)", async () => {
    const { b, ids } = await world();
    const res = await h.request('GET', `/api/v1/audit-log?targetId=${ids.member}`, { key: b.key });
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([]);
  });

  describe('platform admin naming a tenant that is not there', () => {
    it('X-Gnomon-Tenant of a nonexistent tenant is 404', async () => {
      const res = await h.request('GET', '/api/v1/members', {
        key: h.adminKey,
        tenant: randomUUID(),
      });
      expectProblem(res, 404, 'not_found');
    });

    it('X-Gnomon-Tenant of a deleted tenant is 404, and nothing is written there', async () => {
      const gone = await h.createTenant();
      expect(
        (await h.request('DELETE', `/api/v1/admin/tenants/${gone.id}`, { key: h.adminKey })).status,
      ).toBe(204);
      const before = await snapshot(gone.id);
      const list = await h.request('GET', '/api/v1/members', { key: h.adminKey, tenant: gone.id });
      expectProblem(list, 404, 'not_found');
      const add = await h.request('POST', '/api/v1/members', {
        key: h.adminKey,
        tenant: gone.id,
        body: { email: 'ghost@example.test', name: 'Ghost', role: 'OWNER' },
      });
      expectProblem(add, 404, 'not_found');
      expect(await snapshot(gone.id)).toEqual(before);
    });
  });

  it('the table covers every catalog route that takes an {id} or is tenant-scoped', () => {
    const catalog = routeCatalog(h.instances[0]);
    const needsCase = catalog
      .filter((r) => r.path.includes('{id}') || r.spec?.tenantScoped)
      .map(catalogName);
    expect(needsCase).toContain('POST /api/v1/api-keys/{id}/rotate'); // the filter sees real routes
    const covered = new Set(CASES.map(name));
    expect(needsCase.filter((route) => !covered.has(route))).toEqual([]);
    // and the table names only routes that exist
    const existing = new Set(catalog.map(catalogName));
    expect(CASES.map(name).filter((route) => !existing.has(route))).toEqual([]);
  });
});
