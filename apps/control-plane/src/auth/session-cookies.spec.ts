import { clearedSessionCookies, cookieValue, sessionCookies } from './session-cookies';

describe('session cookies', () => {
  it('sets an httpOnly session cookie and a readable CSRF cookie, both SameSite=Strict', () => {
    const [session, csrf] = sessionCookies('s3cret', 'csrf-token', {
      secure: true,
      now: 1_000,
      expiresAt: 1_000 + 3_600_000,
    });
    expect(session).toBe(
      'gnomon_session=s3cret; Path=/; Max-Age=3600; HttpOnly; Secure; SameSite=Strict',
    );
    expect(csrf).toBe('gnomon_csrf=csrf-token; Path=/; Max-Age=3600; Secure; SameSite=Strict');
  });

  it('leaves out Secure for plain-http local use, and clears both cookies with Max-Age=0', () => {
    expect(clearedSessionCookies(false)).toEqual([
      'gnomon_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict',
      'gnomon_csrf=; Path=/; Max-Age=0; SameSite=Strict',
    ]);
  });

  it('reads one cookie out of a Cookie header, first occurrence first', () => {
    const header = 'theme=dark; gnomon_session=abc-_123; gnomon_session=later; x=1=2';
    expect(cookieValue(header, 'gnomon_session')).toBe('abc-_123');
    expect(cookieValue(header, 'x')).toBe('1=2');
    expect(cookieValue(header, 'gnomon_csrf')).toBeUndefined();
    expect(cookieValue('my_gnomon_session=evil', 'gnomon_session')).toBeUndefined();
    expect(cookieValue(undefined, 'gnomon_session')).toBeUndefined();
  });
});
