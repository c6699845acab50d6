import { randomUUID } from 'node:crypto';
import { routeCatalog, type CatalogRoute } from '@gnomon/http-api';
import { ControlPlaneHarness } from '../testing/control-plane-harness';

/**
 * Every route Fastify serves, as `METHOD /path/{param}`, read from its route tree
 * (`printRoutes` prints one radix-tree node per line; a route's path is its ancestors'
 * segments joined). HEAD routes are Fastify's automatic twins of GET routes.
 */
function fastifyRoutes(tree: string): string[] {
  const stack: string[] = [];
  const routes: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)(?:├── |└── )(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    stack.length = depth;
    stack.push(match[2]);
    // A wildcard is printed as a child `*` of its parent without the slash (`/admin` → `*`).
    const path = stack
      .join('')
      .replace(/:(\w+)/g, '{$1}')
      .replace(/([^/])\*$/, '$1/*');
    for (const method of match[3]?.split(', ') ?? []) {
      if (method !== 'HEAD') routes.push(`${method} ${path}`);
    }
  }
  return routes;
}

const nameOf = (route: Pick<CatalogRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

/** A concrete URL for a catalog path: `{id}` becomes a fresh UUID, other params a dummy word. */
const concrete = (path: string) =>
  path.replace(/\{(\w+)\}/g, (_all, param: string) => (param === 'id' ? randomUUID() : 'dummy'));

describe('route declarations: every route declares its access and is documented', () => {
  let h: ControlPlaneHarness;
  let catalog: CatalogRoute[];
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
    catalog = routeCatalog(h.instances[0]);
  });
  afterAll(async () => {
    await h.close();
  });

  it('Fastify serves exactly the routes of the catalog, and each has an @Endpoint declaration', () => {
    const tree = h.instances[0].getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    const served = fastifyRoutes(tree).sort();
    expect(served.length).toBeGreaterThan(10);
    expect(served).toContain('POST /api/v1/api-keys/{id}/rotate');
    expect(served).toEqual(catalog.map(nameOf).sort());
    expect(catalog.filter((route) => route.spec === undefined).map(nameOf)).toEqual([]);
  });

  it('every declared route has a summary, a tag and an access rule', () => {
    const incomplete = catalog.filter(
      (route) => !route.spec?.summary || !route.spec.tag || !route.spec.access,
    );
    expect(incomplete.map(nameOf)).toEqual([]);
  });

  it('every non-public route answers 401 unauthenticated without credentials, writing nothing', async () => {
    await h.createTenant();
    const auditBefore = await h.sql('select count(*) as n from audit_logs');
    const guarded = catalog.filter((route) => route.spec?.access !== 'public');
    expect(guarded.length).toBeGreaterThan(10);
    const answers: Record<string, string> = {};
    for (const route of guarded) {
      const res = await h.request(route.method, concrete(route.path));
      answers[nameOf(route)] =
        `${res.status} ${res.body?.code} ${String(res.headers['www-authenticate'])}`;
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    const expected = Object.fromEntries(
      guarded.map((route) => [nameOf(route), '401 unauthenticated Bearer realm="gnomon"']),
    );
    expect(answers).toEqual(expected);
    expect(await h.sql('select count(*) as n from audit_logs')).toEqual(auditBefore);
  });

  it('every non-public route answers 401 to a key that does not exist', async () => {
    const guarded = catalog.filter((route) => route.spec?.access !== 'public');
    for (const route of guarded) {
      const res = await h.request(route.method, concrete(route.path), {
        key: `gnm_${'x'.repeat(40)}`,
      });
      expect(`${nameOf(route)} → ${res.status} ${res.body?.code}`).toBe(
        `${nameOf(route)} → 401 unauthenticated`,
      );
    }
  });

  it('every non-public route answers 401 to a session cookie that does not exist, writing nothing', async () => {
    const auditBefore = await h.sql('select count(*) as n from audit_logs');
    const guarded = catalog.filter((route) => route.spec?.access !== 'public');
    for (const route of guarded) {
      const res = await h.request(route.method, concrete(route.path), {
        headers: { cookie: `gnomon_session=${'x'.repeat(43)}`, 'x-csrf-token': 'whatever' },
      });
      expect(`${nameOf(route)} → ${res.status} ${res.body?.code}`).toBe(
        `${nameOf(route)} → 401 unauthenticated`,
      );
    }
    expect(await h.sql('select count(*) as n from audit_logs')).toEqual(auditBefore);
  });

  it('public routes are only the operational, documentation and sign-in ones', () => {
    const publicRoutes = catalog.filter((route) => route.spec?.access === 'public').map(nameOf);
    expect(publicRoutes.sort()).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /api/openapi.json',
        'GET /api/docs',
        'GET /api/docs/assets/{file}',
        'POST /api/v1/auth/sign-in',
        'POST /api/v1/auth/sign-in/admin-key',
        'POST /api/v1/auth/accept',
        'GET /api/v1/auth/oidc',
        'GET /api/v1/auth/oidc/start',
        'GET /api/v1/auth/oidc/callback',
        // The dashboard's static files (the SPA signs in through the routes above).
        'GET /admin',
        'GET /admin/*',
      ].sort(),
    );
  });

  it('GET /api/openapi.json lists every declared route with its method, and nothing else', async () => {
    const res = await h.request('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    const documented: string[] = [];
    for (const [path, operations] of Object.entries(res.body.paths as Record<string, object>)) {
      for (const method of Object.keys(operations))
        documented.push(`${method.toUpperCase()} ${path}`);
    }
    expect(documented.sort()).toEqual(catalog.map(nameOf).sort());
    for (const route of catalog) {
      const operation = res.body.paths[route.path][route.method.toLowerCase()];
      expect({
        route: nameOf(route),
        summary: operation.summary,
        access: operation['x-gnomon-access'],
      }).toEqual({
        route: nameOf(route),
        summary: route.spec?.summary,
        access: route.spec?.access,
      });
      if (route.path.includes('{id}')) {
        expect(operation.parameters).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ name: 'id', in: 'path', required: true }),
          ]),
        );
      }
      if (route.spec?.body) expect(operation.requestBody).toBeDefined();
    }
  });

  it('GET /api/docs returns an HTML page whose assets load and point at the OpenAPI document', async () => {
    const page = await h.request('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(String(page.body)).toMatch(/^<!doctype html>/i);
    const assets = [
      ...String(page.body).matchAll(/(?:src|href)="(\/api\/docs\/assets\/[^"]+)"/g),
    ].map((match) => match[1]);
    expect(assets).toHaveLength(4);
    for (const asset of assets) expect((await h.request('GET', asset)).status).toBe(200);
    const init = await h.request('GET', '/api/docs/assets/init.js');
    expect(String(init.body)).toContain('/api/openapi.json');
    expect((await h.request('GET', '/api/docs/assets/secrets.env')).status).toBe(404);
  });
});
