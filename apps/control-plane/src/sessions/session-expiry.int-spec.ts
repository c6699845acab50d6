import { randomBytes } from 'node:crypto';
import { Clock } from '../auth/clock';
import { ControlPlaneHarness, type HttpResult } from '../testing/control-plane-harness';
import { Browser, memberWithSession, PASSWORD, setCookiesOf } from './session.fixtures';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('session expiry: idle (sliding) and absolute, on a moved clock', () => {
  let h: ControlPlaneHarness;
  let now = Date.now();
  beforeAll(async () => {
    h = await ControlPlaneHarness.start();
    jest.spyOn(h.instances[0].get(Clock), 'now').mockImplementation(() => now);
  });
  beforeEach(() => {
    now = Date.now();
  });
  afterAll(async () => {
    await h.close();
  });

  const expectUnauthenticated = (res: HttpResult) =>
    expect({ status: res.status, code: res.body?.code }).toEqual({
      status: 401,
      code: 'unauthenticated',
    });
  const times = async (memberId: string) =>
    (
      await h.sql<{ last_seen_at: Date; idle_expires_at: Date; expires_at: Date }>(
        'select last_seen_at, idle_expires_at, expires_at from sessions where member_id = $1',
        [memberId],
      )
    )[0];

  it('slides the idle expiry with use, writing activity at most once a minute', async () => {
    const tenant = await h.createTenant();
    const start = now;
    const { memberId, browser } = await memberWithSession(h, tenant, 'idle@example.test', 'MEMBER');
    expect(await times(memberId)).toEqual({
      last_seen_at: new Date(start),
      idle_expires_at: new Date(start + 30 * MINUTE),
      expires_at: new Date(start + 12 * HOUR),
    });

    now = start + 29 * MINUTE;
    expect((await browser.request('GET', '/api/v1/members')).status).toBe(200);
    expect(await times(memberId)).toMatchObject({
      last_seen_at: new Date(start + 29 * MINUTE),
      idle_expires_at: new Date(start + 59 * MINUTE),
    });
    // Within the minute: no write.
    now = start + 29 * MINUTE + 30_000;
    const session = await browser.request('GET', '/api/v1/auth/session');
    expect(session.body.idleExpiresAt).toBe(new Date(start + 59 * MINUTE).toISOString());
    expect((await times(memberId)).last_seen_at).toEqual(new Date(start + 29 * MINUTE));

    now = start + 58 * MINUTE;
    expect((await browser.request('GET', '/api/v1/members')).status).toBe(200);

    now = start + 58 * MINUTE + 30 * MINUTE;
    const idle = await browser.request('GET', '/api/v1/members');
    expectUnauthenticated(idle);
    expect(setCookiesOf(idle)[0]).toMatch(/^gnomon_session=; .*Max-Age=0/);
  });

  it('ends a session at its absolute expiry however busy it is', async () => {
    const tenant = await h.createTenant();
    const start = now;
    const { browser } = await memberWithSession(h, tenant, 'busy@example.test', 'MEMBER');
    const answers: number[] = [];
    for (let at = 20 * MINUTE; at < 12 * HOUR; at += 20 * MINUTE) {
      now = start + at;
      answers.push((await browser.request('GET', '/api/v1/members')).status);
    }
    expect(new Set(answers)).toEqual(new Set([200]));
    const last = await browser.request('GET', '/api/v1/auth/session');
    expect(last.body.idleExpiresAt).toBe(new Date(start + 12 * HOUR).toISOString());
    now = start + 12 * HOUR;
    expectUnauthenticated(await browser.request('GET', '/api/v1/members'));
  });

  it('an invitation expires after 72 hours: 400 at body.token, nothing written', async () => {
    const tenant = await h.createTenant();
    const added = await h.request('POST', '/api/v1/members', {
      key: tenant.key,
      body: { email: 'late@example.test', name: 'Late', role: 'MEMBER' },
    });
    now += 72 * HOUR;
    const res = await new Browser(h).request('POST', '/api/v1/auth/accept', {
      body: { token: added.body.invitation.token, password: PASSWORD },
    });
    expect({ status: res.status, errors: res.body.errors }).toEqual({
      status: 400,
      errors: [{ path: 'body.token', message: 'this link is not valid (any more)' }],
    });
    const rows = await h.sql(
      `select m.password_hash, l.used_at, (select count(*) from sessions s where s.member_id = m.id) as sessions
         from members m join member_links l on l.member_id = m.id where m.id = $1`,
      [added.body.id],
    );
    expect(rows).toEqual([{ password_hash: null, used_at: null, sessions: '0' }]);
  });
});

describe('failed sign-ins are rate limited per address', () => {
  let h: ControlPlaneHarness;
  beforeAll(async () => {
    h = await ControlPlaneHarness.start({ GNOMON_AUTH_FAILURE_LIMIT: '3' });
  });
  afterAll(async () => {
    await h.close();
  });

  it('after the limit the address gets 429 with Retry-After, even with the right credential', async () => {
    // Fresh documentation-range addresses per run: Redis keeps failure windows across runs.
    const address = () =>
      `2001:db8::${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
    const guesser = address();
    const from = (remoteAddress: string, url: string, body: object) =>
      h.request('POST', url, { body, remoteAddress });
    const wrong = [
      await from(guesser, '/api/v1/auth/sign-in', { email: 'who@example.test', password: 'guess' }),
      await from(guesser, '/api/v1/auth/sign-in/admin-key', { key: 'not-the-admin-key-at-all' }),
      await from(guesser, '/api/v1/auth/accept', { token: 'x'.repeat(43), password: PASSWORD }),
    ];
    expect(wrong.map((res) => res.status)).toEqual([401, 401, 400]);
    const right = { key: h.adminKey };
    const blocked = await from(guesser, '/api/v1/auth/sign-in/admin-key', right);
    expect({ status: blocked.status, code: blocked.body.code }).toEqual({
      status: 429,
      code: 'too_many_requests',
    });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(setCookiesOf(blocked)).toEqual([]);
    expect((await from(address(), '/api/v1/auth/sign-in/admin-key', right)).status).toBe(200);
  });
});
