/** @jest-environment ./apps/admin-dashboard/jest-environment.cjs */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, renderHook, waitFor } from '@testing-library/react';
import { createElement, type ReactNode } from 'react';
import { ApiProvider, TenantScope } from '../api/api-context';
import { ApiClient } from '../api/client';
import { useApiMutation } from './mutation';
import { useSession } from './session';
import { useCursorPages } from './use-cursor-pages';

interface Item {
  id: number;
}

/** A fake API: a list of 5 items served 2 per page with cursors, and whatever `extra` answers. */
function fakeApi(extra: (url: URL, init: RequestInit) => Response | null = () => null) {
  const requests: { url: URL; init: RequestInit }[] = [];
  let items: Item[] = [1, 2, 3, 4, 5].map((id) => ({ id }));
  const fetch = ((input: RequestInfo | URL, init: RequestInit = {}) =>
    Promise.resolve(
      answer(input instanceof Request ? input.url : input.toString(), init),
    )) as typeof globalThis.fetch;
  function answer(href: string, init: RequestInit): Response {
    const url = new URL(href, 'http://dashboard.test');
    requests.push({ url, init });
    const answer = extra(url, init);
    if (answer) return answer;
    if (url.pathname === '/api/v1/things' && (init.method ?? 'GET') === 'GET') {
      const limit = Number(url.searchParams.get('limit'));
      const start = Number(url.searchParams.get('cursor') ?? 0);
      const page = items.filter((item) => item.id % 2 === 1 || url.searchParams.get('odd') !== '1');
      const next = start + limit < page.length ? String(start + limit) : null;
      return Response.json({ items: page.slice(start, start + limit), nextCursor: next });
    }
    if (url.pathname === '/api/v1/things' && init.method === 'POST') {
      items = [{ id: 0 }, ...items];
      return Response.json({ id: 0 }, { status: 201 });
    }
    return Response.json(
      { status: 404, code: 'not_found', title: 'Not found', detail: url.pathname },
      { status: 404 },
    );
  }
  return { fetch, requests };
}

function wrapper(
  fetch: typeof globalThis.fetch,
  tenant: string | null = null,
  queries = new QueryClient({ defaultOptions: { queries: { retry: false } } }),
  cookies = 'gnomon_csrf=t0k',
) {
  const client = new ApiClient({ fetch, cookies: () => cookies });
  return ({ children }: { children: ReactNode }) =>
    createElement(
      QueryClientProvider,
      { client: queries },
      createElement(ApiProvider, {
        client,
        children: createElement(TenantScope, { tenantId: tenant, children }),
      }),
    );
}

describe('useCursorPages', () => {
  it('pages forwards with the API’s cursors and back through the cursors it kept', async () => {
    const api = fakeApi();
    const { result } = renderHook(() => useCursorPages<Item>('/things', {}, { pageSize: 2 }), {
      wrapper: wrapper(api.fetch),
    });
    await waitFor(() => expect(result.current.items.map((i) => i.id)).toEqual([1, 2]));
    expect({
      page: result.current.page,
      prev: result.current.hasPrevious,
      next: result.current.hasNext,
    }).toEqual({
      page: 1,
      prev: false,
      next: true,
    });
    act(() => result.current.next());
    await waitFor(() => expect(result.current.items.map((i) => i.id)).toEqual([3, 4]));
    act(() => result.current.next());
    await waitFor(() => expect(result.current.items.map((i) => i.id)).toEqual([5]));
    expect({ page: result.current.page, next: result.current.hasNext }).toEqual({
      page: 3,
      next: false,
    });
    act(() => result.current.previous());
    // Back is immediate: the page is still cached under its cursor (and revalidated).
    expect(result.current.items.map((i) => i.id)).toEqual([3, 4]);
    expect(result.current.page).toBe(2);
    expect(api.requests.slice(0, 3).map((r) => r.url.searchParams.get('cursor'))).toEqual([
      null,
      '2',
      '4',
    ]);
  });

  it('starts again from the first page when the filters change (a cursor belongs to its filters)', async () => {
    const api = fakeApi();
    const { result, rerender } = renderHook(
      ({ odd }: { odd: string }) => useCursorPages<Item>('/things', { odd }, { pageSize: 2 }),
      { wrapper: wrapper(api.fetch), initialProps: { odd: '0' } },
    );
    await waitFor(() => expect(result.current.hasNext).toBe(true));
    act(() => result.current.next());
    await waitFor(() => expect(result.current.page).toBe(2));
    rerender({ odd: '1' });
    await waitFor(() => expect(result.current.items.map((i) => i.id)).toEqual([1, 3]));
    expect(result.current.page).toBe(1);
    expect(api.requests.at(-1)?.url.search).toBe('?odd=1&limit=2');
  });

  it('reports the API’s refusal as the error', async () => {
    const api = fakeApi();
    const { result } = renderHook(() => useCursorPages<Item>('/missing'), {
      wrapper: wrapper(api.fetch),
    });
    await waitFor(() => expect(result.current.error).not.toBeNull());
    expect(result.current.error?.message).toBe('/api/v1/missing');
    expect(result.current.items).toEqual([]);
  });

  it('acts in the tenant of its scope (X-Gnomon-Tenant) and caches each tenant apart', async () => {
    const api = fakeApi();
    const queries = new QueryClient({
      defaultOptions: { queries: { retry: false, staleTime: 60_000 } },
    });
    for (const tenant of ['tenant-a', 'tenant-b', 'tenant-a']) {
      const view = renderHook(() => useCursorPages<Item>('/things'), {
        wrapper: wrapper(api.fetch, tenant, queries),
      });
      await waitFor(() => expect(view.result.current.items).toHaveLength(5));
      view.unmount();
    }
    // tenant-a's page came from the cache the second time; tenant-b's was its own request.
    expect(
      api.requests.map((r) => (r.init.headers as Record<string, string>)['x-gnomon-tenant']),
    ).toEqual(['tenant-a', 'tenant-b']);
  });
});

describe('useApiMutation', () => {
  it('sends the CSRF header and refreshes the lists it changes', async () => {
    const api = fakeApi();
    const { result } = renderHook(
      () => ({
        list: useCursorPages<Item>('/things', {}, { pageSize: 10 }),
        create: useApiMutation(
          (scope, _input: void) => scope.send('POST', '/things', { name: 'x' }),
          ['/things'],
        ),
      }),
      { wrapper: wrapper(api.fetch) },
    );
    await waitFor(() => expect(result.current.list.items).toHaveLength(5));
    await act(() => result.current.create.mutateAsync());
    await waitFor(() => expect(result.current.list.items.map((i) => i.id)[0]).toBe(0));
    const post = api.requests.find((r) => r.init.method === 'POST')!;
    expect((post.init.headers as Record<string, string>)['x-csrf-token']).toBe('t0k');
  });
});

describe('useSession', () => {
  it('is null when nobody is signed in (401), and the session otherwise', async () => {
    const signedOut = fakeApi((url) =>
      url.pathname === '/api/v1/auth/session'
        ? Response.json(
            { status: 401, code: 'unauthenticated', title: 'x', detail: 'sign in' },
            { status: 401 },
          )
        : null,
    );
    const anonymous = renderHook(() => useSession(), { wrapper: wrapper(signedOut.fetch) });
    await waitFor(() => expect(anonymous.result.current.isSuccess).toBe(true));
    expect(anonymous.result.current.data).toBeNull();
    expect(signedOut.requests.map((r) => r.url.pathname)).toEqual(['/api/v1/auth/session']);

    const session = {
      principal: {
        type: 'MEMBER',
        id: 'm',
        memberId: 'm',
        email: 'a@b.c',
        name: 'A',
        role: 'VIEWER',
        tenantId: 't',
        tenantName: 'T',
        scopes: ['runs:read'],
      },
      csrfToken: 'c',
      expiresAt: '2026-01-01T12:00:00.000Z',
      idleExpiresAt: '2026-01-01T00:30:00.000Z',
    };
    const signedIn = fakeApi((url) =>
      url.pathname === '/api/v1/auth/session' ? Response.json(session) : null,
    );
    const member = renderHook(() => useSession(), { wrapper: wrapper(signedIn.fetch) });
    await waitFor(() => expect(member.result.current.data).toEqual(session));
  });

  it('does not ask without the session’s readable cookie (there is no session)', async () => {
    const api = fakeApi();
    const { result } = renderHook(() => useSession(), {
      wrapper: wrapper(api.fetch, null, undefined, ''),
    });
    await waitFor(() => expect(result.current.isSuccess).toBe(true));
    expect(result.current.data).toBeNull();
    expect(api.requests).toEqual([]);
  });
});
