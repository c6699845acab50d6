import { OidcIssuerFake, type IdTokenFault } from '@gnomon/testing';
import { ControlPlaneHarness } from '../testing/control-plane-harness';
import { Browser, setCookiesOf } from './session.fixtures';

const CLIENT = { id: 'gnomon-dashboard', secret: 'fake-client-secret' };
const REDIRECT_URI = 'http://localhost:8080/api/v1/auth/oidc/callback';

describe('OpenID Connect sign-in against a local issuer', () => {
  let h: ControlPlaneHarness;
  let issuer: OidcIssuerFake;
  beforeAll(async () => {
    issuer = await OidcIssuerFake.start(CLIENT);
    h = await ControlPlaneHarness.start({
      GNOMON_OIDC_ISSUER: issuer.issuer,
      GNOMON_OIDC_CLIENT_ID: CLIENT.id,
      GNOMON_OIDC_CLIENT_SECRET: CLIENT.secret,
      GNOMON_OIDC_REDIRECT_URI: REDIRECT_URI,
    });
  });
  afterAll(async () => {
    await h?.close();
    await issuer?.close();
  });

  const addMember = async (tenant: { key: string }, email: string, role = 'MEMBER') => {
    const res = await h.request('POST', '/api/v1/members', {
      key: tenant.key,
      body: { email, name: 'Oidc', role },
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  /** The whole browser round trip: /start → issuer /authorize → /callback. */
  const signIn = async (
    browser: Browser,
    claims: Record<string, unknown>,
    options: {
      fault?: IdTokenFault;
      tenantId?: string;
      callbackQuery?: (q: URLSearchParams) => void;
    } = {},
  ) => {
    const query = options.tenantId ? `?tenantId=${options.tenantId}` : '';
    const start = await browser.request('GET', `/api/v1/auth/oidc/start${query}`);
    expect(start.status).toBe(302);
    issuer.willSignIn(claims, options.fault ?? null);
    const atIssuer = await fetch(String(start.headers.location), { redirect: 'manual' });
    expect(atIssuer.status).toBe(302);
    const back = new URL(atIssuer.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT_URI);
    options.callbackQuery?.(back.searchParams);
    return browser.request('GET', `/api/v1/auth/oidc/callback?${back.searchParams}`);
  };
  const sessionCount = async () => (await h.sql('select id from sessions')).length;

  it('says it is enabled, and /start sends the browser to the issuer with PKCE, state and nonce', async () => {
    expect((await h.request('GET', '/api/v1/auth/oidc')).body).toEqual({
      enabled: true,
      issuer: issuer.issuer,
    });
    const start = await new Browser(h).request('GET', '/api/v1/auth/oidc/start');
    expect(start.status).toBe(302);
    const location = new URL(String(start.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(`${issuer.issuer}/authorize`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT.id,
      redirect_uri: REDIRECT_URI,
      scope: 'openid email profile',
      code_challenge_method: 'S256',
    });
    for (const param of ['state', 'nonce', 'code_challenge'])
      expect(location.searchParams.get(param)).toMatch(/^[\w-]{43}$/);
    const [cookie] = setCookiesOf(start);
    expect(cookie).toMatch(
      /^gnomon_oidc=[\w-]+\.[\w-]+; Path=\/api\/v1\/auth\/oidc; Max-Age=600; HttpOnly; Secure; SameSite=Lax$/,
    );
  });

  it('signs in the member whose verified email the id_token carries, and 302s to /admin/', async () => {
    const tenant = await h.createTenant();
    const memberId = await addMember(tenant, 'ada.oidc@example.test', 'ADMIN');
    const browser = new Browser(h);
    const res = await signIn(browser, { email: 'Ada.Oidc@Example.test', email_verified: true });
    expect({ status: res.status, location: res.headers.location }).toEqual({
      status: 302,
      location: '/admin/',
    });
    expect([...browser.cookies.keys()].sort()).toEqual(['gnomon_csrf', 'gnomon_session']);
    const session = await browser.request('GET', '/api/v1/auth/session');
    expect(session.body.principal).toMatchObject({ type: 'MEMBER', memberId, role: 'ADMIN' });
    expect((await browser.request('GET', '/api/v1/members')).status).toBe(200);
    // The code was redeemed with the PKCE verifier and the client's credentials.
    const form = issuer.tokenRequests.at(-1);
    expect(form?.get('code_verifier')).toMatch(/^[\w-]{43}$/);
    expect(form?.get('client_id')).toBe(CLIENT.id);
    const [audit] = await h.sql(
      `select actor_type, metadata->>'method' as method from audit_logs
        where target_id = $1 and action = 'session.signed_in'`,
      [memberId],
    );
    expect(audit).toEqual({ actor_type: 'MEMBER', method: 'OIDC' });
  });

  it.each<[string, Record<string, unknown>, IdTokenFault | undefined, string]>([
    ['a bad signature', { email_verified: true }, 'bad_signature', 'oidc_failed'],
    ['the wrong audience', { email_verified: true }, 'wrong_audience', 'oidc_failed'],
    ['the wrong issuer', { email_verified: true }, 'wrong_issuer', 'oidc_failed'],
    ['the wrong nonce', { email_verified: true }, 'wrong_nonce', 'oidc_failed'],
    ['an unverified email', { email_verified: false }, undefined, 'email_not_verified'],
    ['no email_verified claim', {}, undefined, 'email_not_verified'],
  ])(
    'refuses an id_token with %s: no session, 302 with the reason',
    async (_what, claims, fault, code) => {
      const tenant = await h.createTenant();
      const email = `refused-${code}-${fault ?? 'none'}@example.test`;
      await addMember(tenant, email);
      const before = await sessionCount();
      const browser = new Browser(h);
      const res = await signIn(browser, { ...claims, email }, { fault });
      expect({ status: res.status, location: res.headers.location }).toEqual({
        status: 302,
        location: `/admin/?signInError=${code}`,
      });
      expect(browser.cookies.size).toBe(0); // the state cookie is cleared, no session set
      expect(await sessionCount()).toBe(before);
    },
  );

  it('refuses a forged state, a missing state cookie, an unknown email and an issuer error', async () => {
    const tenant = await h.createTenant();
    await addMember(tenant, 'state@example.test');
    const claims = { email: 'state@example.test', email_verified: true };
    const before = await sessionCount();
    const forged = await signIn(new Browser(h), claims, {
      callbackQuery: (q) => q.set('state', 'x'.repeat(43)),
    });
    expect(forged.headers.location).toBe('/admin/?signInError=oidc_state');
    // No state cookie at all (another browser finishing this one's sign-in).
    const start = await new Browser(h).request('GET', '/api/v1/auth/oidc/start');
    issuer.willSignIn(claims);
    const back = new URL(
      (await fetch(String(start.headers.location), { redirect: 'manual' })).headers.get(
        'location',
      ) ?? '',
    );
    const stranger = await new Browser(h).request(
      'GET',
      `/api/v1/auth/oidc/callback?${back.searchParams}`,
    );
    expect(stranger.headers.location).toBe('/admin/?signInError=oidc_state');
    const unknown = await signIn(new Browser(h), {
      email: 'nobody@example.test',
      email_verified: true,
    });
    expect(unknown.headers.location).toBe('/admin/?signInError=no_member');
    const denied = await new Browser(h).request(
      'GET',
      '/api/v1/auth/oidc/callback?error=access_denied',
    );
    expect(denied.headers.location).toBe('/admin/?signInError=oidc_denied');
    expect(await sessionCount()).toBe(before);
  });

  it('an email with members in two tenants needs /start?tenantId=', async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    const [, inB] = [
      await addMember(a, 'twice@example.test'),
      await addMember(b, 'twice@example.test'),
    ];
    const claims = { email: 'twice@example.test', email_verified: true };
    const ambiguous = await signIn(new Browser(h), claims);
    expect(ambiguous.headers.location).toBe('/admin/?signInError=tenant_required');
    const browser = new Browser(h);
    const chosen = await signIn(browser, claims, { tenantId: b.id });
    expect(chosen.headers.location).toBe('/admin/');
    expect((await browser.request('GET', '/api/v1/me')).body).toMatchObject({
      tenantId: b.id,
      memberId: inB,
    });
  });
});

describe('OpenID Connect sign-in when no issuer is configured', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });

  it('reports it disabled, and /start and /callback are 404', async () => {
    expect((await h.request('GET', '/api/v1/auth/oidc')).body).toEqual({
      enabled: false,
      issuer: null,
    });
    for (const url of ['/api/v1/auth/oidc/start', '/api/v1/auth/oidc/callback?code=x&state=y']) {
      const res = await h.request('GET', url);
      expect({ status: res.status, code: res.body.code }).toEqual({
        status: 404,
        code: 'not_found',
      });
    }
  });
});
