import { timingSafeEqual } from 'node:crypto';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Requests that change state: a cookie-authenticated one must prove it comes from our page. */
export function isMutation(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Double-submit check: the X-CSRF-Token header must equal the session's CSRF token (which is
 * also the gnomon_csrf cookie's value). The token is an HMAC of the session secret, so a cookie
 * planted by a sibling site cannot supply a matching pair.
 */
export function csrfTokenMatches(
  expected: string,
  presented: string | string[] | undefined,
): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
