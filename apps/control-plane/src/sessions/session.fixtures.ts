// Test-only: a browser-like cookie jar over ControlPlaneHarness, for the sign-in int-specs.
import type { HttpResult, ControlPlaneHarness } from '../testing/control-plane-harness';

type Tenant = Awaited<ReturnType<ControlPlaneHarness['createTenant']>>;

export const PASSWORD = 'correct horse battery staple';

/** The Set-Cookie values of a response. */
export function setCookiesOf(res: HttpResult): string[] {
  const header = res.headers['set-cookie'];
  if (header === undefined) return [];
  return (Array.isArray(header) ? header : [String(header)]).map(String);
}

/**
 * Keeps cookies like a browser (set, replace, delete on Max-Age=0) and, like the dashboard,
 * echoes gnomon_csrf in X-CSRF-Token on mutations unless told not to.
 */
export class Browser {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly h: ControlPlaneHarness,
    private readonly instance = 0,
  ) {}

  /** The same cookies, sent to another instance of the control plane. */
  on(instance: number): Browser {
    const twin = new Browser(this.h, instance);
    for (const [name, value] of this.cookies) twin.cookies.set(name, value);
    return twin;
  }

  async request(
    method: string,
    url: string,
    options: {
      body?: unknown;
      csrf?: string | false;
      tenant?: string;
      key?: string;
      headers?: Record<string, string>;
    } = {},
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size > 0)
      headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const csrf = options.csrf ?? this.cookies.get('gnomon_csrf');
    if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
    const res = await this.h.request(
      method,
      url,
      { body: options.body, tenant: options.tenant, key: options.key, headers },
      this.instance,
    );
    for (const cookie of setCookiesOf(res)) {
      const [pair] = cookie.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
      if (/Max-Age=0(;|$)/.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  signIn(email: string, password = PASSWORD, tenantId?: string): Promise<HttpResult> {
    return this.request('POST', '/api/v1/auth/sign-in', {
      body: { email, password, ...(tenantId ? { tenantId } : {}) },
    });
  }
}

/** Adds a member with the tenant's key and accepts their invitation: a signed-in browser. */
export async function memberWithSession(
  h: ControlPlaneHarness,
  tenant: Tenant,
  email: string,
  role: 'OWNER' | 'ADMIN' | 'MEMBER' | 'VIEWER',
): Promise<{ memberId: string; browser: Browser; token: string }> {
  const added = await h.request('POST', '/api/v1/members', {
    key: tenant.key,
    body: { email, name: email.split('@')[0], role },
  });
  if (added.status !== 201)
    throw new Error(`member creation failed: ${JSON.stringify(added.body)}`);
  const created = added.body as { id: string; invitation: { token: string } };
  const browser = new Browser(h);
  const token = created.invitation.token;
  const accepted = await browser.request('POST', '/api/v1/auth/accept', {
    body: { token, password: PASSWORD },
  });
  if (accepted.status !== 200) throw new Error(`accept failed: ${JSON.stringify(accepted.body)}`);
  return { memberId: created.id, browser, token };
}
