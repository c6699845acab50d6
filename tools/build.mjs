// Compiles every TypeScript source under apps/, libs/ and test/ into dist/ with SWC
// (type checking is `npm run typecheck`). Workspace imports (`@gnomon/<lib>`) are
// rewritten to relative paths so dist/ runs on plain `node` with no loader.
import { transformFile } from '@swc/core';
import { createRequire } from 'node:module';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

const require = createRequire(import.meta.url);
const swcOptions = require('./swc-options.cjs');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'dist');
const roots = ['apps', 'libs', 'test'];
const skip = /(\.spec|\.int-spec|\.e2e-spec|\.d)\.ts$/;

async function* sources(dir) {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'admin-dashboard') continue;
      yield* sources(full);
    } else if (entry.name.endsWith('.ts') && !skip.test(entry.name)) {
      yield full;
    } else if (entry.name.endsWith('.json') && full.includes(`${path.sep}src${path.sep}`)) {
      yield full; // data files imported by the code (e.g. the model catalog)
    } else if (
      entry.name.endsWith('.mjs') &&
      path.basename(dir) === 'harness' &&
      full.includes(`${path.sep}src${path.sep}`)
    ) {
      yield full; // scripts run by another runtime as they are (the tool sandbox's Deno harness)
    }
  }
}

function rewriteWorkspaceImports(code, outFile) {
  return code.replace(/require\("@gnomon\/([a-z0-9-]+)"\)/g, (_m, lib) => {
    const target = path.join(out, 'libs', lib, 'src', 'index.js');
    let rel = path.relative(path.dirname(outFile), target).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return `require(${JSON.stringify(rel)})`;
  });
}

const started = Date.now();
await rm(out, { recursive: true, force: true });
let count = 0;
const jobs = [];
for (const top of roots) {
  for await (const file of sources(path.join(root, top))) {
    const rel = path.relative(root, file);
    if (!file.endsWith('.ts')) {
      jobs.push(
        (async () => {
          await mkdir(path.dirname(path.join(out, rel)), { recursive: true });
          await copyFile(file, path.join(out, rel));
        })(),
      );
      continue;
    }
    const outFile = path.join(out, rel.replace(/\.ts$/, '.js'));
    jobs.push(
      (async () => {
        const result = await transformFile(file, {
          ...swcOptions,
          filename: file,
          sourceFileName: path.relative(path.dirname(outFile), file),
          swcrc: false,
          configFile: false,
        });
        await mkdir(path.dirname(outFile), { recursive: true });
        const code = rewriteWorkspaceImports(result.code, outFile);
        await writeFile(outFile, `${code}\n//# sourceMappingURL=${path.basename(outFile)}.map\n`);
        if (result.map) await writeFile(`${outFile}.map`, result.map);
        count += 1;
      })(),
    );
  }
}
await Promise.all(jobs);
console.log(`build: ${count} files compiled to dist/ in ${Date.now() - started} ms`);

// The admin dashboard (React + Vite) into dist/admin-dashboard, served by the control plane.
const { buildDashboard } = await import('./build-dashboard.mjs');
await buildDashboard();
