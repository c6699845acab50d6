import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DashboardAssets,
  IMMUTABLE,
  NO_CACHE,
  defaultDashboardDir,
  safeRelativePath,
} from './dashboard-assets';

describe('DashboardAssets', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gnomon-dashboard-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>dashboard</title>');
    writeFileSync(path.join(dir, 'assets/index-abc123.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'assets/index-abc123.css'), 'body{}');
    writeFileSync(path.join(dir, '.env'), 'SECRET=1');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const resolve = (p: string) => new DashboardAssets(dir).resolve(p);

  it('serves hashed assets with their type, cached immutably', async () => {
    const js = await resolve('assets/index-abc123.js');
    expect(js).toMatchObject({
      kind: 'file',
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: IMMUTABLE,
    });
    expect(js.kind === 'file' && js.body.toString()).toBe('console.log(1)');
    expect(await resolve('assets/index-abc123.css')).toMatchObject({
      contentType: 'text/css; charset=utf-8',
    });
  });

  it('answers the page (never cached) for the root and for the app’s own routes', async () => {
    for (const route of [
      '',
      'index.html',
      'runs',
      'runs/0b9c2c4e-1f3a-4d4e-9d55-1a2b3c4d5e6f',
      'accept',
    ]) {
      const page = await resolve(route);
      expect({ route, kind: page.kind, cache: page.kind === 'file' && page.cacheControl }).toEqual({
        route,
        kind: 'file',
        cache: NO_CACHE,
      });
      expect(page.kind === 'file' && page.body.toString()).toContain('<title>dashboard</title>');
    }
  });

  it('does not answer a missing asset with the page (a script must never get HTML)', async () => {
    expect(await resolve('assets/index-old999.js')).toEqual({ kind: 'not-found' });
    expect(await resolve('favicon.ico')).toEqual({ kind: 'not-found' });
  });

  it('refuses paths that leave the build directory, and dot-files', async () => {
    for (const attempt of [
      '../package.json',
      'assets/../../x',
      '%2e%2e/secrets.json',
      '.env',
      'a\\b',
      '%00',
    ]) {
      expect({ attempt, answer: await resolve(attempt) }).toEqual({
        attempt,
        answer: { kind: 'not-found' },
      });
    }
  });

  it('says the dashboard is not built when the directory has no index.html', async () => {
    const missing = path.join(dir, 'nope');
    expect(await new DashboardAssets(missing).resolve('')).toEqual({
      kind: 'not-built',
      dir: missing,
    });
  });
});

describe('safeRelativePath', () => {
  it('normalises empty and dot segments and decodes the URL', () => {
    expect(safeRelativePath('assets//x.js')).toBe('assets/x.js');
    expect(safeRelativePath('./runs/%20x')).toBe('runs/ x');
    expect(safeRelativePath('%E0%A4%A')).toBeNull();
    expect(safeRelativePath('a'.repeat(2000))).toBeNull();
  });
});

describe('defaultDashboardDir', () => {
  it('finds dist/admin-dashboard above the sources and above the build', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'gnomon-root-'));
    try {
      const built = path.join(root, 'dist/admin-dashboard');
      mkdirSync(built, { recursive: true });
      writeFileSync(path.join(built, 'index.html'), '');
      const source = path.join(root, 'apps/control-plane/src/dashboard');
      const compiled = path.join(root, 'dist/apps/control-plane/src/dashboard');
      mkdirSync(source, { recursive: true });
      mkdirSync(compiled, { recursive: true });
      expect(defaultDashboardDir(source)).toBe(built);
      expect(defaultDashboardDir(compiled)).toBe(built);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
