import { randomBytes } from 'node:crypto';
import { chmod, link, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDataDir } from './data-dir';

/** Platform secrets generated for a local install when the environment does not provide them. */
export interface LocalSecrets {
  serviceToken: string;
  apiKeyPepper: string;
  cursorSecret: string;
  encryptionKey: string;
}

/** The environment variable that overrides each secret. */
export const PLATFORM_SECRET_ENV: Readonly<Record<keyof LocalSecrets, string>> = Object.freeze({
  serviceToken: 'GNOMON_SERVICE_TOKEN',
  apiKeyPepper: 'GNOMON_API_KEY_PEPPER',
  cursorSecret: 'GNOMON_CURSOR_SECRET',
  encryptionKey: 'GNOMON_ENCRYPTION_KEY',
});

const SECRET_NAMES = Object.keys(PLATFORM_SECRET_ENV) as (keyof LocalSecrets)[];
const SECRETS_FILE = 'secrets.json';

export function localSecretsPath(dataDir: string): string {
  return path.join(path.resolve(dataDir), SECRETS_FILE);
}

function generate(): LocalSecrets {
  const secret = () => randomBytes(32).toString('base64url');
  return {
    serviceToken: secret(),
    apiKeyPepper: secret(),
    cursorSecret: secret(),
    encryptionKey: secret(),
  };
}

function parse(text: string, file: string): LocalSecrets {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(
      `${file} is not valid JSON; fix or delete it (deleting loses the data it protects)`,
    );
  }
  const record = (value ?? {}) as Record<string, unknown>;
  const missing = SECRET_NAMES.filter((name) => typeof record[name] !== 'string' || !record[name]);
  if (missing.length > 0) {
    throw new Error(`${file} lacks ${missing.join(', ')}; fix or delete it`);
  }
  const secrets = {} as LocalSecrets;
  for (const name of SECRET_NAMES) secrets[name] = record[name] as string;
  return secrets;
}

async function readExisting(file: string): Promise<LocalSecrets | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Never leave the secrets readable by others, whoever created the file.
  const mode = (await stat(file)).mode & 0o777;
  if (mode & 0o077) await chmod(file, 0o600).catch(() => undefined);
  return parse(text, file);
}

/**
 * The data dir's secrets, generated on first use. The file is written complete under a
 * temporary name and then hard-linked into place, which fails if the file already exists: when
 * two processes race, exactly one file wins and the other process reads it. Where hard links
 * are unsupported, a no-clobber rename is emulated and a lost race is detected the same way.
 */
export async function loadOrCreateLocalSecrets(dataDir: string): Promise<LocalSecrets> {
  const dir = await ensureDataDir(dataDir);
  const file = path.join(dir, SECRETS_FILE);
  const existing = await readExisting(file);
  if (existing) return existing;

  const fresh = generate();
  const temp = path.join(dir, `.${SECRETS_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  await writeFile(temp, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST') {
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') throw error;
      // No hard links here: rename only if nobody created the file meanwhile.
      if (!(await readExisting(file))) await rename(temp, file);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  // Whoever won, everyone uses what is on disk now.
  const winner = await readExisting(file);
  if (!winner) throw new Error(`could not create ${file}`);
  return winner;
}

/**
 * The platform secrets: each from its environment variable when set, otherwise from the data
 * dir's secrets file, which is read (and created) only if some variable is missing.
 */
export async function resolvePlatformSecrets(
  env: NodeJS.ProcessEnv,
  dataDir: string,
): Promise<LocalSecrets> {
  const fromEnv: Partial<LocalSecrets> = {};
  for (const name of SECRET_NAMES) {
    const value = env[PLATFORM_SECRET_ENV[name]]?.trim();
    if (value) fromEnv[name] = value;
  }
  if (SECRET_NAMES.every((name) => fromEnv[name] !== undefined)) return fromEnv as LocalSecrets;
  const local = await loadOrCreateLocalSecrets(dataDir);
  return { ...local, ...fromEnv };
}
