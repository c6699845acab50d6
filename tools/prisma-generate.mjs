// Runs `prisma generate` after install. The Prisma 7 client runs on a driver adapter and a
// WASM query compiler, so the native schema engine is never needed here; Prisma only checks
// that the engine path it is given exists, so point it at this Node binary when unset.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
const result = spawnSync(
  process.execPath,
  [path.join(root, 'node_modules/prisma/build/index.js'), 'generate'],
  { cwd: root, env, stdio: 'inherit' },
);
process.exit(result.status ?? 1);
