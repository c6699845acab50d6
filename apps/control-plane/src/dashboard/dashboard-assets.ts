import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Where the control plane serves the dashboard (the Vite build's `base`). */
export const DASHBOARD_BASE = '/admin';

/**
 * Every dashboard response: scripts, styles, images and API calls come from this origin only
 * (the build emits no inline script or style), and no other site may frame the page.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/** Hashed build assets never change under their name: cache them for a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page itself must always be revalidated, so a new build is picked up at once. */
export const NO_CACHE = 'no-cache';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export type DashboardFile =
  | { kind: 'file'; body: Buffer; contentType: string; cacheControl: string }
  | { kind: 'not-found' }
  | { kind: 'not-built'; dir: string };

const MAX_PATH = 1024;

/**
 * The built dashboard (dist/admin-dashboard): answers a path below /admin/ with the file, or
 * with index.html for the single-page app's own routes. Paths that try to leave the build
 * directory, and missing files under assets/ (an old page asking for a replaced chunk), are
 * not found: a script request must never get the HTML page.
 */
export class DashboardAssets {
  constructor(readonly dir: string) {}

  async resolve(requestPath: string): Promise<DashboardFile> {
    const index = path.join(this.dir, 'index.html');
    if (!existsSync(index)) return { kind: 'not-built', dir: this.dir };
    const relative = safeRelativePath(requestPath);
    if (relative === null) return { kind: 'not-found' };
    if (relative !== '' && relative !== 'index.html') {
      const file = path.join(this.dir, relative);
      const found = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (found) {
        return {
          kind: 'file',
          body: await readFile(file),
          contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
          cacheControl: relative.startsWith('assets/') ? IMMUTABLE : NO_CACHE,
        };
      }
      // A file-like path (assets, or anything with an extension) is a file that is missing.
      if (relative.startsWith('assets/') || path.extname(relative) !== '')
        return { kind: 'not-found' };
    }
    return {
      kind: 'file',
      body: await readFile(index),
      contentType: CONTENT_TYPES['.html'],
      cacheControl: NO_CACHE,
    };
  }
}

/** `assets/x.js` from the wildcard part of the URL; null for anything that escapes the root. */
export function safeRelativePath(requestPath: string): string | null {
  if (requestPath.length > MAX_PATH) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..')) return null;
  // Dot-files (.env, .git) are never part of a build.
  if (segments.some((segment) => segment.startsWith('.'))) return null;
  return segments.join('/');
}

/**
 * dist/admin-dashboard, found from this file both in the sources (apps/control-plane/src/…) and
 * in the build (dist/apps/control-plane/src/…): the nearest `dist/admin-dashboard` above it.
 */
export function defaultDashboardDir(from = __dirname): string {
  let first: string | null = null;
  for (let dir = from; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate =
      path.basename(dir) === 'dist'
        ? path.join(dir, 'admin-dashboard')
        : path.join(dir, 'dist', 'admin-dashboard');
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
    if (first === null && existsSync(path.dirname(candidate))) first = candidate;
  }
  return first ?? path.resolve('dist', 'admin-dashboard');
}

/** The page /admin answers while there is no build to serve. */
export function notBuiltPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gnomon admin: not built</title></head>
<body><main><h1>The admin dashboard has not been built</h1>
<p>Run <code>npm run build</code> (or <code>npm start</code>, which builds first), then reload this page.</p>
</main></body></html>`;
}
