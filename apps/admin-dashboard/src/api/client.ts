import { CSRF_COOKIE, CSRF_HEADER } from '@gnomon/contracts';
import { ApiProblem, asProblemDetails, syntheticProblem } from './problem';

export const API_BASE = '/api/v1';
export const TENANT_HEADER = 'X-Gnomon-Tenant';

export type QueryValue = string | number | boolean | null | undefined;
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** The tenant a platform admin acts in (sent as X-Gnomon-Tenant); null for none. */
  tenant?: string | null;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The value of one cookie in a `document.cookie` string, or null. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return null;
}

/** `/api/v1/runs?status=RUNNING`: empty and undefined query values are left out. */
export function apiUrl(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_BASE}${path}${search ? `?${search}` : ''}`;
}

export interface ApiClientOptions {
  fetch?: typeof fetch;
  /** Reads `document.cookie` (a function so tests and sign-in see the current cookies). */
  cookies?: () => string;
  /** Called when a request was refused as unauthenticated (the session ended). */
  onUnauthenticated?: () => void;
}

/**
 * The dashboard's only way to the control plane: same-origin fetches carrying the session
 * cookie, the CSRF header on every mutation, and X-Gnomon-Tenant when a platform admin acts in
 * a tenant. Every refusal becomes an ApiProblem.
 */
export class ApiClient {
  private readonly fetchImpl: typeof fetch;
  private readonly cookies: () => string;

  constructor(private readonly options: ApiClientOptions = {}) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.cookies = options.cookies ?? (() => document.cookie);
  }

  /**
   * Whether the browser holds a session's readable cookie. Without it there is no session, and
   * the page does not ask (a 401 would show as an error in the browser's console).
   */
  mayHaveSession(): boolean {
    return readCookie(this.cookies(), CSRF_COOKIE) !== null;
  }

  /** The response of a successful request (for CSV downloads and event streams). */
  async raw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (MUTATING.has(method)) {
      const csrf = readCookie(this.cookies(), CSRF_COOKIE);
      if (csrf) headers[CSRF_HEADER.toLowerCase()] = csrf;
    }
    if (options.tenant) headers[TENANT_HEADER.toLowerCase()] = options.tenant;
    let response: Response;
    try {
      response = await this.fetchImpl(apiUrl(path, options.query), {
        method,
        headers,
        credentials: 'same-origin',
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiProblem(syntheticProblem(0, 'check your connection and try again'));
    }
    if (response.ok) return response;
    const problem = await problemOf(response);
    if (problem.status === 401) this.options.onUnauthenticated?.();
    throw new ApiProblem(problem);
  }

  /** The parsed JSON body (undefined for 204). */
  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.raw(method, path, options);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.json<T>('GET', path, options);
  }

  post<T>(path: string, body?: unknown, options?: RequestOptions): Promise<T> {
    return this.json<T>('POST', path, { ...options, body });
  }

  put<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.json<T>('PUT', path, { ...options, body });
  }

  patch<T>(path: string, body: unknown, options?: RequestOptions): Promise<T> {
    return this.json<T>('PATCH', path, { ...options, body });
  }

  delete(path: string, options?: RequestOptions): Promise<void> {
    return this.json<void>('DELETE', path, options);
  }
}

async function problemOf(response: Response) {
  const text = await response.text().catch(() => '');
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: described below
  }
  return (
    asProblemDetails(body) ??
    syntheticProblem(response.status, text.slice(0, 300) || response.statusText)
  );
}
