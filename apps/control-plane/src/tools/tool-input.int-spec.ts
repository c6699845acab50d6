import { randomUUID } from 'node:crypto';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

const JS_TOOL = {
  name: 'add',
  kind: 'js',
  source: 'export default ({ a, b }) => ({ sum: a + b });',
  inputSchema: { type: 'object', properties: { a: { type: 'number' } } },
};
const HTTP_TOOL = {
  name: 'weather',
  kind: 'http',
  request: { url: 'https://api.example.com/weather/{{input.city}}' },
};
const KIB = 1024;

describe('tool registry: bad input, roles and tenants', () => {
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

  /** Everything a tool request could write for this tenant. */
  const stored = async (tenant: Tenant) => ({
    tools: await h.sql('select * from tools where tenant_id = $1 order by id', [tenant.id]),
    versions: await h.sql('select * from tool_versions where tenant_id = $1 order by id', [
      tenant.id,
    ]),
    audit: await h.sql(
      `select action from audit_logs where tenant_id = $1 and action like 'tool.%'`,
      [tenant.id],
    ),
  });

  /** A tenant with one js tool `add` (so PUT has a target). */
  const tenantWithTool = async () => {
    const tenant = await h.createTenant();
    const res = await h.request('POST', '/api/v1/tools', { key: tenant.key, body: JS_TOOL });
    expect(res.status).toBe(201);
    return tenant;
  };

  const JS_UPDATE = {
    kind: JS_TOOL.kind,
    source: JS_TOOL.source,
    inputSchema: JS_TOOL.inputSchema,
  };

  describe('bad bodies: 400 naming the path, and nothing is written', () => {
    const cases: [string, 'POST' | 'PUT', object, string, string][] = [
      [
        'a name with upper case and spaces',
        'POST',
        { ...JS_TOOL, name: 'My Tool' },
        'body.name',
        'lower-case',
      ],
      ['a name starting with a digit', 'POST', { ...JS_TOOL, name: '1tool' }, 'body.name', ''],
      [
        'a name shaped like a UUID',
        'POST',
        { ...JS_TOOL, name: 'deadbeef-0000-4000-8000-000000000000' },
        'body.name',
        'must not look like a UUID',
      ],
      [
        'a js tool without source',
        'POST',
        { name: 'x', kind: 'js' },
        'body.source',
        'needs source',
      ],
      [
        'an update without source',
        'PUT',
        { kind: 'js', description: 'd' },
        'body.source',
        'needs source',
      ],
      [
        'an http tool with source',
        'POST',
        { ...HTTP_TOOL, source: 'x' },
        'body.source',
        'no source',
      ],
      [
        'an http tool without request',
        'POST',
        { name: 'h', kind: 'http' },
        'body.request',
        'needs request',
      ],
      [
        'a js tool with request',
        'POST',
        { ...JS_TOOL, request: HTTP_TOOL.request },
        'body.request',
        'only http',
      ],
      ['an unknown kind', 'POST', { ...JS_TOOL, kind: 'ruby' }, 'body.kind', ''],
      [
        'an unknown field',
        'POST',
        { ...JS_TOOL, runAsRoot: true },
        'body',
        'Unrecognized key: "runAsRoot"',
      ],
      [
        'an unknown field',
        'PUT',
        { ...JS_UPDATE, version: 7 },
        'body',
        'Unrecognized key: "version"',
      ],
      [
        'an inputSchema that is not a JSON Schema',
        'POST',
        { ...JS_TOOL, inputSchema: { type: 'objekt' } },
        'body.inputSchema',
        'not a valid JSON Schema: ',
      ],
      [
        'an outputSchema that is not a JSON Schema',
        'PUT',
        { ...JS_UPDATE, outputSchema: { properties: { a: { minimum: 'one' } } } },
        'body.outputSchema',
        'not a valid JSON Schema: ',
      ],
      [
        'a schema that is not an object',
        'POST',
        { ...JS_TOOL, inputSchema: ['string'] },
        'body.inputSchema',
        '',
      ],
      [
        'a source over 256 KiB',
        'POST',
        { ...JS_TOOL, source: 'x'.repeat(256 * KIB + 1) },
        'body.source',
        'larger than 256 KiB',
      ],
      [
        'a source over 256 KiB in UTF-8 (fewer characters)',
        'PUT',
        { ...JS_UPDATE, source: 'é'.repeat(128 * KIB + 1) },
        'body.source',
        'larger than 256 KiB',
      ],
      ['an empty source', 'POST', { ...JS_TOOL, source: '' }, 'body.source', ''],
      [
        'an http URL that is not http(s)',
        'POST',
        { ...HTTP_TOOL, request: { url: 'file:///etc/{{input.name}}' } },
        'body.request.url',
        'must be an http(s) URL',
      ],
      [
        'an http URL that does not parse',
        'POST',
        { ...HTTP_TOOL, request: { url: 'api.example.com/{{input.q}}' } },
        'body.request.url',
        'not a valid absolute URL',
      ],
      [
        'an http URL with a malformed placeholder',
        'POST',
        { ...HTTP_TOOL, request: { url: 'https://api.example.com/{{input-q}}' } },
        'body.request.url',
        'placeholders',
      ],
      [
        'an unknown HTTP method',
        'POST',
        { ...HTTP_TOOL, request: { ...HTTP_TOOL.request, method: 'TRACE' } },
        'body.request.method',
        '',
      ],
      [
        'a limit out of range',
        'POST',
        { ...JS_TOOL, limits: { timeoutMs: 10 } },
        'body.limits.timeoutMs',
        '',
      ],
      [
        'an unknown limit',
        'PUT',
        { ...JS_UPDATE, limits: { cpus: 4 } },
        'body.limits',
        'Unrecognized key',
      ],
      [
        'a bad allowNet host',
        'POST',
        { ...JS_TOOL, allowNet: ['ok.example.com', 'http://x'] },
        'body.allowNet[1]',
        '',
      ],
    ];

    const titled = cases.map(
      ([what, method, body, path, message]) => [what, method, path, message, body] as const,
    );
    it.each(titled)('%s (%s) → 400 at %s', async (_what, method, path, message, body) => {
      const tenant = await tenantWithTool();
      const before = await stored(tenant);
      const url = method === 'POST' ? '/api/v1/tools' : '/api/v1/tools/add';
      const res = await h.request(method, url, { key: tenant.key, body });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(
        expect.arrayContaining([{ path, message: expect.stringContaining(message) }]),
      );
      expect(await stored(tenant)).toEqual(before);
    });

    it('the detail names the path and the schema problem', async () => {
      const tenant = await tenantWithTool();
      const res = await h.request('POST', '/api/v1/tools', {
        key: tenant.key,
        body: { ...JS_TOOL, name: 'other', inputSchema: { type: 'objekt' } },
      });
      expect(res.body.detail).toMatch(/^body\.inputSchema: not a valid JSON Schema: .*type/);
    });

    it.each([
      ['GET', '/api/v1/tools/Not%20a%20tool', 'params.id'],
      ['PUT', '/api/v1/tools/add~1', 'params.id'],
      ['DELETE', `/api/v1/tools/${'a'.repeat(65)}`, 'params.id'],
      ['GET', '/api/v1/tools/add/versions/0', 'params.version'],
      ['GET', '/api/v1/tools/add/versions/latest', 'params.version'],
      ['GET', '/api/v1/tools?limit=101', 'query.limit'],
      ['GET', '/api/v1/tools?kind=ruby', 'query.kind'],
      ['GET', '/api/v1/tools?sort=name', 'query'],
      ['GET', '/api/v1/tools/add/versions?limit=0', 'query.limit'],
    ])('%s %s → 400 at %s', async (method, url, path) => {
      const tenant = await tenantWithTool();
      const before = await stored(tenant);
      const body = method === 'PUT' ? JS_UPDATE : undefined;
      const res = await h.request(method, url, { key: tenant.key, body });
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
      expect(await stored(tenant)).toEqual(before);
    });

    it('a 256 KiB source is accepted, even one whose JSON escapes double its size', async () => {
      const tenant = await h.createTenant();
      const source = '"\n'.repeat(128 * KIB); // exactly 256 KiB; 512 KiB as JSON
      expect(JSON.stringify({ source }).length).toBeGreaterThan(512 * KIB);
      const res = await h.request('POST', '/api/v1/tools', {
        key: tenant.key,
        body: { ...JS_TOOL, source },
      });
      expect(res.status).toBe(201);
      const update = await h.request('PUT', '/api/v1/tools/add', {
        key: tenant.key,
        body: { ...JS_UPDATE, source: 'é'.repeat(128 * KIB) },
      });
      expect(update.status).toBe(200);
      const rows = await h.sql<{ bytes: number }>(
        `select octet_length(source) as bytes from tool_versions where tenant_id = $1 order by version`,
        [tenant.id],
      );
      expect(rows).toEqual([{ bytes: 256 * KIB }, { bytes: 256 * KIB }]);
    });
  });

  describe('roles and scopes', () => {
    /** A key bound to a new member of `role`, holding what that role may hold of `scopes`. */
    const memberKey = async (tenant: Tenant, role: string, scopes: string[]) => {
      const member = await h.request('POST', '/api/v1/members', {
        key: tenant.key,
        body: { email: `${role.toLowerCase()}-${randomUUID()}@tools.test`, name: role, role },
      });
      const key = await h.request('POST', '/api/v1/api-keys', {
        key: tenant.key,
        body: { name: role, scopes, memberId: member.body.id },
      });
      expect([member.status, key.status]).toEqual([201, 201]);
      return key.body.secret as string;
    };

    it.each(['VIEWER', 'MEMBER'])(
      'a %s may read tools but not create, change or delete them (403, nothing written)',
      async (role) => {
        const tenant = await tenantWithTool();
        // A key bound to this role cannot even hold tools:write …
        const member = await h.request('POST', '/api/v1/members', {
          key: tenant.key,
          body: { email: `limited-${role}@tools.test`, name: 'L', role },
        });
        const bound = await h.request('POST', '/api/v1/api-keys', {
          key: tenant.key,
          body: { name: 'bound', scopes: ['tools:write'], memberId: member.body.id },
        });
        expectProblem(bound, 400, 'validation_failed');

        // … and with tools:read it reads, but every mutation is 403.

        const key = await memberKey(tenant, role, ['tools:read']);
        for (const path of ['', '/add', '/add/versions', '/add/versions/1']) {
          const res = await h.request('GET', `/api/v1/tools${path}`, { key });
          expect(`${path} ${res.status}`).toBe(`${path} 200`);
        }
        const before = await stored(tenant);
        for (const [method, url, body] of [
          ['POST', '/api/v1/tools', { ...JS_TOOL, name: 'mine' }],
          ['PUT', '/api/v1/tools/add', JS_UPDATE],
          ['DELETE', '/api/v1/tools/add', undefined],
        ] as const) {
          expectProblem(await h.request(method, url, { key, body }), 403, 'forbidden');
        }
        expect(await stored(tenant)).toEqual(before);
      },
    );

    it('an ADMIN (and OWNER) member key with tools:write manages tools', async () => {
      const tenant = await h.createTenant();
      for (const role of ['ADMIN', 'OWNER']) {
        const key = await memberKey(tenant, role, ['tools:read', 'tools:write']);
        const name = `by-${role.toLowerCase()}`;
        const res = await h.request('POST', '/api/v1/tools', { key, body: { ...JS_TOOL, name } });
        expect(res.status).toBe(201);
        expect(
          (await h.request('PUT', `/api/v1/tools/${name}`, { key, body: JS_UPDATE })).status,
        ).toBe(200);
        expect((await h.request('DELETE', `/api/v1/tools/${name}`, { key })).status).toBe(204);
      }
    });

    it('other scopes do not reach tools; tools:write alone cannot read', async () => {
      const tenant = await tenantWithTool();
      const keyWith = async (scopes: string[]) =>
        (
          await h.request('POST', '/api/v1/api-keys', {
            key: tenant.key,
            body: { name: 'k', scopes },
          })
        ).body.secret as string;
      const tasks = await keyWith(['tasks:read', 'tasks:write']);
      expectProblem(await h.request('GET', '/api/v1/tools', { key: tasks }), 403, 'forbidden');
      expectProblem(
        await h.request('POST', '/api/v1/tools', { key: tasks, body: { ...JS_TOOL, name: 'x' } }),
        403,
        'forbidden',
      );
      const writer = await keyWith(['tools:write']);
      expectProblem(await h.request('GET', '/api/v1/tools/add', { key: writer }), 403, 'forbidden');
      expect(
        (await h.request('PUT', '/api/v1/tools/add', { key: writer, body: JS_UPDATE })).status,
      ).toBe(200);
    });
  });

  describe('cross-tenant', () => {
    it("B's key gets 404 for A's tool by id and by name on every route; A is unchanged", async () => {
      const a = await tenantWithTool();
      const b = await h.createTenant();
      const id = (await h.request('GET', '/api/v1/tools/add', { key: a.key })).body.id as string;
      const before = await stored(a);
      for (const ref of [id, 'add']) {
        for (const [method, path, body] of [
          ['GET', '', undefined],
          ['PUT', '', JS_UPDATE],
          ['DELETE', '', undefined],
          ['GET', '/versions', undefined],
          ['GET', '/versions/1', undefined],
        ] as const) {
          const res = await h.request(method, `/api/v1/tools/${ref}${path}`, { key: b.key, body });
          expect(
            `${method} {${ref === id ? 'id' : 'name'}}${path} → ${res.status} ${res.body?.code}`,
          ).toBe(`${method} {${ref === id ? 'id' : 'name'}}${path} → 404 not_found`);
          expect(JSON.stringify(res.body)).not.toContain(JS_TOOL.source);
        }
      }
      expect((await h.request('GET', '/api/v1/tools', { key: b.key })).body.items).toEqual([]);
      expect(await stored(a)).toEqual(before);
      expect(await stored(b)).toEqual({ tools: [], versions: [], audit: [] });
    });

    it("a name both tenants use resolves to the caller's own tool", async () => {
      const a = await tenantWithTool();
      const b = await h.createTenant();
      const own = await h.request('POST', '/api/v1/tools', {
        key: b.key,
        body: { ...JS_TOOL, source: 'export default () => "b"' },
      });
      expect(own.status).toBe(201);
      const res = await h.request('PUT', '/api/v1/tools/add', {
        key: b.key,
        body: { ...JS_UPDATE, source: 'export default () => "b2"' },
      });
      expect(res.body).toMatchObject({ id: own.body.id, version: 2 });
      const aTool = await h.request('GET', '/api/v1/tools/add', { key: a.key });
      expect(aTool.body).toMatchObject({ version: 1, source: JS_TOOL.source });
    });
  });
});
