import { createContext, createElement, useContext, useMemo, type ReactNode } from 'react';
import type { ApiClient, Query, RequestOptions } from './client';

/** The client, and the tenant requests act in (a platform admin's choice; null otherwise). */
interface ApiScope {
  client: ApiClient;
  tenant: string | null;
}

const ApiContext = createContext<ApiScope | null>(null);

export function ApiProvider(props: {
  client: ApiClient;
  tenant?: string | null;
  children: ReactNode;
}) {
  const value = useMemo(
    () => ({ client: props.client, tenant: props.tenant ?? null }),
    [props.client, props.tenant],
  );
  return createElement(ApiContext.Provider, { value }, props.children);
}

/** Requests below this act in `tenantId` (a platform admin's page of one tenant). */
export function TenantScope(props: { tenantId: string | null; children: ReactNode }) {
  const outer = useApiScope();
  const value = useMemo(
    () => ({ client: outer.client, tenant: props.tenantId }),
    [outer.client, props.tenantId],
  );
  return createElement(ApiContext.Provider, { value }, props.children);
}

function useApiScope(): ApiScope {
  const scope = useContext(ApiContext);
  if (!scope) throw new Error('useApi must be used inside <ApiProvider>');
  return scope;
}

export interface TenantApi {
  client: ApiClient;
  /** The tenant requests act in, or null (the caller's own tenant, or none for admin routes). */
  tenant: string | null;
  /** Query-key prefix: cached data of one tenant is never shown for another. */
  key: (...parts: unknown[]) => unknown[];
  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T>;
  send<T>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
}

/** The API as seen from the current tenant scope. */
export function useApi(): TenantApi {
  const { client, tenant } = useApiScope();
  return useMemo<TenantApi>(
    () => ({
      client,
      tenant,
      key: (...parts) => ['tenant', tenant ?? 'own', ...parts],
      get: (path, query, signal) => client.get(path, { query, tenant, signal }),
      send: (method, path, body, options) =>
        client.json(method, path, { ...options, body, tenant }),
    }),
    [client, tenant],
  );
}
