import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlPlaneHarness } from '../testing/control-plane-harness';

/** The control plane serving a (stand-in) dashboard build at /admin, and no build at all. */
describe('admin dashboard at /admin', () => {
  let h: ControlPlaneHarness;
  let build: string;

  beforeAll(async () => {
    build = mkdtempSync(path.join(tmpdir(), 'gnomon-dashboard-int-'));
    mkdirSync(path.join(build, 'assets'));
    writeFileSync(
      path.join(build, 'index.html'),
      '<!doctype html><script type="module" src="/admin/assets/index-abc.js"></script>',
    );
    writeFileSync(path.join(build, 'assets/index-abc.js'), 'export {};');
    h = await ControlPlaneHarness.start({ GNOMON_DASHBOARD_DIR: build });
    // A second instance whose build directory is empty: the dashboard was never built.
    await h.addInstance({ GNOMON_DASHBOARD_DIR: path.join(build, 'missing') });
  });
  afterAll(async () => {
    await h.close();
    rmSync(build, { recursive: true, force: true });
  });

  it('redirects /admin to /admin/, keeping the query', async () => {
    const res = await h.request('GET', '/admin?tab=keys');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/admin/?tab=keys');
  });

  it('serves the page for the app’s routes (with query strings), never cached, under a strict CSP', async () => {
    for (const url of [
      '/admin/',
      '/admin/runs/42',
      '/admin/accept?token=abc',
      '/admin/usage?x=1&x=2',
    ]) {
      const res = await h.request('GET', url);
      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(String(res.body)).toContain('/admin/assets/index-abc.js');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('serves hashed assets immutably, and a missing asset is a 404 problem, not the page', async () => {
    const js = await h.request('GET', '/admin/assets/index-abc.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await h.request('GET', '/admin/assets/index-gone.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.body.code).toBe('not_found');
    expect((await h.request('GET', '/admin/..%2f..%2fpackage.json')).status).toBe(404);
  });

  it('needs no credentials, and ignores a bad one (the page is public; its data is not)', async () => {
    const res = await h.request('GET', '/admin/', { key: 'gnm_not-a-key' });
    expect(res.status).toBe(200);
  });

  it('answers 503 with a page that says to build the dashboard when there is no build', async () => {
    const res = await h.request('GET', '/admin/', {}, 1);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(String(res.body)).toContain('npm run build');
  });
});
