import { mkdir } from 'node:fs/promises';
import path from 'node:path';

/** Where local state lives (embedded Postgres, generated secrets): GNOMON_DATA_DIR or ./.data. */
export function resolveDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.GNOMON_DATA_DIR?.trim();
  return path.resolve(fromEnv ? fromEnv : path.join(process.cwd(), '.data'));
}

/** Creates the data dir (owner-only, 0700) if it does not exist yet; returns its absolute path. */
export async function ensureDataDir(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  await mkdir(absolute, { recursive: true, mode: 0o700 });
  return absolute;
}
