import { CSRF_COOKIE, SESSION_COOKIE } from '@gnomon/contracts';

/**
 * The dashboard's cookies: `gnomon_session` (httpOnly: scripts never see the secret) and
 * `gnomon_csrf` (readable, so the page can echo it in X-CSRF-Token). Both SameSite=Strict and
 * Path=/, Secure unless GNOMON_SESSION_COOKIE_SECURE=0 (plain-http local use).
 */
export interface CookieAttributes {
  httpOnly: boolean;
  secure: boolean;
  sameSite: 'Strict' | 'Lax';
  path: string;
  maxAgeSeconds: number;
}

export function serializeCookie(name: string, value: string, attrs: CookieAttributes): string {
  return [
    `${name}=${value}`,
    `Path=${attrs.path}`,
    `Max-Age=${Math.max(0, Math.floor(attrs.maxAgeSeconds))}`,
    ...(attrs.httpOnly ? ['HttpOnly'] : []),
    ...(attrs.secure ? ['Secure'] : []),
    `SameSite=${attrs.sameSite}`,
  ].join('; ');
}

/**
 * The first value of cookie `name` in a Cookie header (browsers send the most specific path
 * first). Values are returned as sent: ours are base64url and need no decoding.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Set-Cookie values that start a session lasting until `expiresAt`. */
export function sessionCookies(
  secret: string,
  csrfToken: string,
  options: { secure: boolean; expiresAt: number; now: number },
): string[] {
  const maxAgeSeconds = (options.expiresAt - options.now) / 1000;
  const common = { secure: options.secure, sameSite: 'Strict', path: '/', maxAgeSeconds } as const;
  return [
    serializeCookie(SESSION_COOKIE, secret, { ...common, httpOnly: true }),
    serializeCookie(CSRF_COOKIE, csrfToken, { ...common, httpOnly: false }),
  ];
}

/** Set-Cookie values that remove both cookies. */
export function clearedSessionCookies(secure: boolean): string[] {
  return sessionCookies('', '', { secure, expiresAt: 0, now: 0 });
}
