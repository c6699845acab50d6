import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import {
  LOOKUP_TOOL,
  SUMMARY,
  TRIAGE,
  storedTasks,
  tenantWithTool,
  type Tenant,
} from './task.fixtures';

const KIB = 1024;
const LANGUAGE = 'gnomon.task/v1';
const llm = (id: string, extra: object = {}) => ({
  id,
  type: 'llm',
  model: 'openai/gpt-4o-mini',
  prompt: `Do ${id}`,
  ...extra,
});
const definition = (steps: ({ id: string } & Record<string, unknown>)[], extra: object = {}) => ({
  language: LANGUAGE,
  start: steps[0].id,
  steps,
  ...extra,
});

describe('tasks: bad input, references and scopes', () => {
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
    expect(res.body.id).toBeUndefined();
  };

  /** A tenant with the lookup tool and a task `triage` (so PUT has a target). */
  const tenantWithTask = async () => {
    const tenant = await tenantWithTool(h);
    const res = await h.request('POST', '/api/v1/tasks', {
      key: tenant.key,
      body: { name: 'triage', definition: TRIAGE },
    });
    expect(res.status).toBe(201);
    return tenant;
  };

  /** Sends a definition by POST (as a new task) or PUT (as a new version of `triage`). */
  const send = (tenant: Tenant, method: 'POST' | 'PUT', body: object, key = tenant.key) =>
    method === 'POST'
      ? h.request('POST', '/api/v1/tasks', { key, body: { name: 'fresh', ...body } })
      : h.request('PUT', '/api/v1/tasks/triage', { key, body });

  type Case = [what: string, body: object, path: string, message: string];
  const bigPrompt = 'x'.repeat(90 * KIB);
  const cases: Case[] = [
    [
      'a next that names no step',
      { definition: definition([llm('a', { next: 'b' }), llm('b', { next: 'zz' })]) },
      'body.definition.steps[1].next',
      'unknown step "zz"',
    ],
    [
      'a cycle without a bound',
      {
        definition: definition([
          llm('a', { next: 'b' }),
          {
            id: 'b',
            type: 'branch',
            cases: [{ when: 'steps.a.output == 1', next: 'a' }],
            default: 'c',
          },
          llm('c'),
        ]),
      },
      'body.definition.steps[1].cases[0].next',
      'cycle a → b → a has no bound; set maxVisits on one of its steps',
    ],
    [
      'a condition that does not parse (with its column)',
      {
        definition: definition([
          llm('a', { next: 'b' }),
          {
            id: 'b',
            type: 'branch',
            cases: [{ when: "steps.a.output ==== 'x'", next: 'c' }],
            default: 'c',
          },
          llm('c'),
        ]),
      },
      'body.definition.steps[1].cases[0].when',
      'unexpected "==" at column 18',
    ],
    [
      'a template naming an unknown step (with its column)',
      { definition: definition([llm('a', { prompt: 'see {{steps.nope.output}}' })]) },
      'body.definition.steps[0].prompt',
      'unknown step "nope" at column 5',
    ],
    [
      'an unknown field in a step',
      { definition: definition([llm('a', { temprature: 0.2 })]) },
      'body.definition.steps[0]',
      'Unrecognized key: "temprature"',
    ],
    [
      'an unknown field in the definition',
      { definition: definition([llm('a')], { owner: 'me' }) },
      'body.definition',
      'Unrecognized key: "owner"',
    ],
    [
      'an unknown field in the body',
      { definition: SUMMARY, version: 3 },
      'body',
      'Unrecognized key: "version"',
    ],
    [
      'a definition over 256 KiB',
      {
        definition: definition([
          llm('a', { prompt: bigPrompt, next: 'b' }),
          llm('b', { prompt: bigPrompt, next: 'c' }),
          llm('c', { prompt: bigPrompt }),
        ]),
      },
      'body.definition',
      'definition is larger than 256 KiB',
    ],
    [
      'no definition',
      { description: 'd' },
      'body.definition',
      'Invalid input: expected object, received undefined',
    ],
    [
      'an unknown tool of an agent step',
      { definition: definition([llm('a', { tools: ['lookup', 'nope'] })]) },
      'body.definition.steps[0].tools[1]',
      'unknown tool "nope"',
    ],
    [
      'an unknown tool of a tool step',
      {
        definition: definition([llm('a', { next: 'b' }), { id: 'b', type: 'tool', tool: 'nope' }]),
      },
      'body.definition.steps[1].tool',
      'unknown tool "nope"',
    ],
    [
      'a pinned tool version that does not exist',
      { definition: definition([{ id: 'a', type: 'tool', tool: 'lookup', version: 2 }]) },
      'body.definition.steps[0].tool',
      'unknown tool "lookup" version 2',
    ],
    [
      'an unknown model of a catalog provider',
      { definition: definition([llm('a', { next: 'b' }), llm('b', { model: 'openai/gpt-9' })]) },
      'body.definition.steps[1].model',
      'unknown model "openai/gpt-9"',
    ],
    [
      'a route alias the tenant does not have',
      { definition: definition([llm('a', { model: 'fast' })]) },
      'body.definition.steps[0].model',
      'unknown model "fast"',
    ],
  ];

  const titled = cases.flatMap(([what, body, path, message]) =>
    (['POST', 'PUT'] as const).map((method) => [what, method, path, message, body] as const),
  );
  it.each(titled)(
    '%s (%s) → 400 at %s, nothing written',
    async (_what, method, path, message, body) => {
      const tenant = await tenantWithTask();
      const before = await storedTasks(h, tenant);
      const res = await send(tenant, method, body);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ path, message }]);
      expect(res.body.detail).toBe(`${path}: ${message}`);
      expect(await storedTasks(h, tenant)).toEqual(before);
    },
  );

  it.each([
    ['a reserved name', 'schema', 'is reserved'],
    [
      'a name shaped like a UUID',
      'deadbeef-0000-4000-8000-000000000000',
      'must not look like a UUID',
    ],
    ['a name with upper case', 'My Task', 'lower-case'],
  ])('%s (%s) → 400 at body.name, nothing written', async (_what, name, message) => {
    const tenant = await h.createTenant();
    const res = await h.request('POST', '/api/v1/tasks', {
      key: tenant.key,
      body: { name, definition: SUMMARY },
    });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([
      { path: 'body.name', message: expect.stringContaining(message) },
    ]);
    expect(await storedTasks(h, tenant)).toEqual({ tasks: [], versions: [], audit: [] });
  });

  it('reports every unknown reference at once, in step order', async () => {
    const tenant = await h.createTenant(); // no tools at all
    const res = await send(tenant, 'POST', { definition: TRIAGE });
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([
      { path: 'body.definition.steps[0].tools[0]', message: 'unknown tool "lookup"' },
      { path: 'body.definition.steps[2].tool', message: 'unknown tool "lookup"' },
    ]);
  });

  it('a definition of exactly 256 KiB in UTF-8 is accepted; one byte more is not', async () => {
    const tenant = await h.createTenant();
    // `é` is two bytes: the JSON has far fewer characters than bytes, so a character count
    // would let the oversized one through.
    const sized = (pad: number) =>
      definition([
        llm('a', { prompt: 'é'.repeat(60_000), next: 'b' }),
        llm('b', { prompt: 'é'.repeat(60_000), next: 'c' }),
        llm('c', { prompt: 'x'.repeat(pad) }),
      ]);
    const bytes = (value: object) => Buffer.byteLength(JSON.stringify(value));
    const pad = 256 * KIB - bytes(sized(0));
    expect(bytes(sized(pad))).toBe(256 * KIB);
    expect(JSON.stringify(sized(pad + 1)).length).toBeLessThan(200 * KIB);

    expect((await send(tenant, 'POST', { definition: sized(pad) })).status).toBe(201);
    const over = await h.request('PUT', '/api/v1/tasks/fresh', {
      key: tenant.key,
      body: { definition: sized(pad + 1) },
    });
    expectProblem(over, 400, 'validation_failed');
    expect(over.body.errors).toEqual([
      { path: 'body.definition', message: 'definition is larger than 256 KiB' },
    ]);
    expect(
      (await h.request('GET', '/api/v1/tasks/fresh', { key: tenant.key })).body.currentVersion,
    ).toBe(1);
  });

  describe('references resolve against this tenant only', () => {
    it("the tenant's route aliases, bare catalog ids and pinned existing versions are accepted", async () => {
      const tenant = await tenantWithTask();
      const routing = await h.request('PUT', '/api/v1/llm-routes', {
        key: tenant.key,
        body: { routes: { fast: { chain: ['openai/gpt-4o-mini'] } } },
      });
      expect(routing.status).toBe(200);
      const res = await send(tenant, 'PUT', {
        definition: definition([
          llm('a', { model: 'fast', next: 'b' }),
          llm('b', { model: 'claude-haiku-4-5', next: 'c' }),
          { id: 'c', type: 'tool', tool: 'lookup', version: 1 },
        ]),
      });
      expect(res.status).toBe(200);
      expect(res.body.currentVersion).toBe(2);
    });

    it("another tenant's tools and aliases are unknown", async () => {
      const other = await tenantWithTool(h);
      await h.request('PUT', '/api/v1/llm-routes', {
        key: other.key,
        body: { routes: { fast: { chain: ['openai/gpt-4o-mini'] } } },
      });
      const tenant = await h.createTenant();
      const res = await send(tenant, 'POST', {
        definition: definition([llm('a', { model: 'fast', tools: ['lookup'] })]),
      });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([
        { path: 'body.definition.steps[0].model', message: 'unknown model "fast"' },
        { path: 'body.definition.steps[0].tools[0]', message: 'unknown tool "lookup"' },
      ]);
      expect(await storedTasks(h, tenant)).toEqual({ tasks: [], versions: [], audit: [] });
    });

    it('a deleted tool is unknown', async () => {
      const tenant = await tenantWithTool(h);
      expect((await h.request('DELETE', '/api/v1/tools/lookup', { key: tenant.key })).status).toBe(
        204,
      );
      const res = await send(tenant, 'POST', { definition: TRIAGE });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors[0]).toEqual({
        path: 'body.definition.steps[0].tools[0]',
        message: `unknown tool "${LOOKUP_TOOL.name}"`,
      });
    });
  });

  describe('scopes', () => {
    const keyWith = async (tenant: Tenant, scopes: string[]) => {
      const res = await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: 'narrow', scopes },
      });
      expect(res.status).toBe(201);
      return res.body.secret as string;
    };

    it('tasks:read reads every route but may not create or change tasks (403, nothing written)', async () => {
      const tenant = await tenantWithTask();
      const reader = await keyWith(tenant, ['tasks:read']);
      for (const path of ['', '/triage', '/triage/versions', '/triage/versions/1']) {
        const res = await h.request('GET', `/api/v1/tasks${path}`, { key: reader });
        expect(`${path} ${res.status}`).toBe(`${path} 200`);
      }
      const before = await storedTasks(h, tenant);
      for (const method of ['POST', 'PUT'] as const)
        expectProblem(
          await send(tenant, method, { definition: SUMMARY }, reader),
          403,
          'forbidden',
        );
      expect(await storedTasks(h, tenant)).toEqual(before);
    });

    it('tasks:write alone writes but cannot read; other scopes reach nothing', async () => {
      const tenant = await tenantWithTask();
      const writer = await keyWith(tenant, ['tasks:write']);
      expect((await send(tenant, 'PUT', { definition: SUMMARY }, writer)).status).toBe(200);
      expectProblem(
        await h.request('GET', '/api/v1/tasks/triage', { key: writer }),
        403,
        'forbidden',
      );
      const tools = await keyWith(tenant, ['tools:read', 'tools:write', 'runs:write']);
      const before = await storedTasks(h, tenant);
      for (const [method, path] of [
        ['GET', ''],
        ['GET', '/triage'],
        ['GET', '/triage/versions'],
        ['GET', '/triage/versions/1'],
      ] as const)
        expectProblem(
          await h.request(method, `/api/v1/tasks${path}`, { key: tools }),
          403,
          'forbidden',
        );
      for (const method of ['POST', 'PUT'] as const)
        expectProblem(await send(tenant, method, { definition: SUMMARY }, tools), 403, 'forbidden');
      expect(await storedTasks(h, tenant)).toEqual(before);
    });
  });
});
