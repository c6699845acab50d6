// Builds the admin dashboard (apps/admin-dashboard, React + Vite) into dist/admin-dashboard,
// which the control plane serves at /admin. Prints the size of the JavaScript the first page
// load needs (the entry chunk and what it imports statically, gzip) and fails when it is over
// the budget, so the dashboard stays quick to open. Run by tools/build.mjs, or alone.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const appDir = path.join(root, 'apps/admin-dashboard');
const outDir = path.join(root, 'dist/admin-dashboard');
export const INITIAL_JS_BUDGET_BYTES = 300 * 1024;

/** The JS files index.html loads before anything runs: its module scripts and modulepreloads. */
export function initialScripts(html) {
  const files = new Set();
  for (const match of html.matchAll(/<script[^>]*\stype="module"[^>]*\ssrc="([^"]+)"/g))
    files.add(match[1]);
  for (const match of html.matchAll(/<link[^>]*\srel="modulepreload"[^>]*\shref="([^"]+)"/g))
    files.add(match[1]);
  return [...files];
}

export async function buildDashboard() {
  const started = Date.now();
  const { build } = await import('vite');
  await build({ configFile: path.join(appDir, 'vite.config.mjs'), logLevel: 'warn' });
  const html = await readFile(path.join(outDir, 'index.html'), 'utf8');
  let total = 0;
  const parts = [];
  for (const url of initialScripts(html)) {
    const file = path.join(outDir, url.replace(/^\/admin\//, ''));
    const size = gzipSync(await readFile(file), { level: 9 }).length;
    total += size;
    parts.push(`${path.basename(file)} ${(size / 1024).toFixed(1)} KB`);
  }
  const summary =
    `build: admin dashboard built to dist/admin-dashboard in ${Date.now() - started} ms; ` +
    `initial JS ${(total / 1024).toFixed(1)} KB gzip (budget ${INITIAL_JS_BUDGET_BYTES / 1024} KB): ${parts.join(', ')}`;
  console.log(summary);
  if (total === 0) throw new Error('build: the dashboard index.html loads no script');
  if (total > INITIAL_JS_BUDGET_BYTES) {
    throw new Error(
      `build: the dashboard's initial JS is ${(total / 1024).toFixed(1)} KB gzip, over the ` +
        `${INITIAL_JS_BUDGET_BYTES / 1024} KB budget: load more of it lazily`,
    );
  }
  return { initialJsGzipBytes: total };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildDashboard();
}
