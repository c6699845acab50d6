import { ApiClient, apiUrl, readCookie } from './client';
import { ApiProblem } from './problem';

interface Call {
  url: string;
  init: RequestInit;
}

function fakeFetch(respond: (call: Call) => Response) {
  const calls: Call[] = [];
  const fetch = ((input: RequestInfo | URL, init: RequestInit = {}) => {
    const call = { url: input instanceof Request ? input.url : input.toString(), init };
    calls.push(call);
    return Promise.resolve(respond(call));
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
const headersOf = (call: Call) => call.init.headers as Record<string, string>;

describe('ApiClient', () => {
  const cookies = () => 'theme=dark; gnomon_csrf=csrf%2Dtoken; other=1';

  it('sends the CSRF cookie as X-CSRF-Token on mutations only, with same-origin credentials', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { ok: true }));
    const client = new ApiClient({ fetch, cookies });
    await client.get('/runs');
    await client.post('/runs', { taskId: 't' });
    await client.delete('/tools/x');
    expect(headersOf(calls[0])['x-csrf-token']).toBeUndefined();
    expect(headersOf(calls[1])['x-csrf-token']).toBe('csrf-token');
    expect(headersOf(calls[1])['content-type']).toBe('application/json');
    expect(calls[1].init.body).toBe('{"taskId":"t"}');
    expect(headersOf(calls[2])['x-csrf-token']).toBe('csrf-token');
    expect(calls.every((call) => call.init.credentials === 'same-origin')).toBe(true);
  });

  it('names the tenant a platform admin acts in, and builds the query string', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { items: [], nextCursor: null }));
    const client = new ApiClient({ fetch, cookies });
    await client.get('/runs', {
      tenant: '0b9c2c4e-1f3a-4d4e-9d55-1a2b3c4d5e6f',
      query: { status: 'RUNNING', taskId: '', cursor: undefined, limit: 20 },
    });
    expect(calls[0].url).toBe('/api/v1/runs?status=RUNNING&limit=20');
    expect(headersOf(calls[0])['x-gnomon-tenant']).toBe('0b9c2c4e-1f3a-4d4e-9d55-1a2b3c4d5e6f');
  });

  it('turns problem+json refusals into ApiProblem with field errors and extra members', async () => {
    const { fetch } = fakeFetch(() =>
      json(
        400,
        {
          type: 'https://docs.gnomon.dev/errors/validation_failed',
          title: 'Request validation failed',
          status: 400,
          detail: 'body.owner.email: Invalid email',
          code: 'validation_failed',
          requestId: 'req-1',
          errors: [{ path: 'body.owner.email', message: 'Invalid email' }],
          tenants: [{ id: 'a', name: 'A' }],
        },
        'application/problem+json',
      ),
    );
    const failure = await new ApiClient({ fetch, cookies })
      .post('/admin/tenants', {})
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiProblem);
    const problem = failure as ApiProblem;
    expect(problem.code).toBe('validation_failed');
    expect(problem.message).toBe('body.owner.email: Invalid email');
    expect(problem.fieldErrors()).toEqual({ 'owner.email': 'Invalid email' });
    expect(problem.problem.requestId).toBe('req-1');
    expect(problem.problem.tenants).toEqual([{ id: 'a', name: 'A' }]);
  });

  it('describes answers that are not problem documents, and network failures', async () => {
    const html = fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const bad: unknown = await new ApiClient({ fetch: html.fetch, cookies })
      .get('/runs')
      .catch((e: unknown) => e);
    if (!(bad instanceof ApiProblem)) throw new Error('expected an ApiProblem');
    expect({ status: bad.status, code: bad.code }).toEqual({ status: 502, code: 'internal_error' });
    const offline = (await new ApiClient({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      cookies,
    })
      .get('/runs')
      .catch((e: unknown) => e)) as ApiProblem;
    expect({ status: offline.status, code: offline.code }).toEqual({
      status: 0,
      code: 'service_unavailable',
    });
  });

  it('reports a 401 (the session ended) and returns nothing for 204', async () => {
    let ended = 0;
    const { fetch } = fakeFetch((call) =>
      call.url.endsWith('/me')
        ? json(401, { status: 401, code: 'unauthenticated', title: 'x', detail: 'sign in' })
        : new Response(null, { status: 204 }),
    );
    const client = new ApiClient({ fetch, cookies, onUnauthenticated: () => (ended += 1) });
    await expect(client.post('/auth/sign-out')).resolves.toBeUndefined();
    await expect(client.get('/me')).rejects.toBeInstanceOf(ApiProblem);
    expect(ended).toBe(1);
  });
});

describe('readCookie and apiUrl', () => {
  it('reads one cookie (decoded) and ignores similar names', () => {
    expect(readCookie('a=1; gnomon_csrf_old=x; gnomon_csrf=v%3D1', 'gnomon_csrf')).toBe('v=1');
    expect(readCookie('', 'gnomon_csrf')).toBeNull();
  });

  it('leaves out empty query values', () => {
    expect(apiUrl('/usage', { from: 'a b', to: null, groupBy: 'day' })).toBe(
      '/api/v1/usage?from=a+b&groupBy=day',
    );
  });
});
