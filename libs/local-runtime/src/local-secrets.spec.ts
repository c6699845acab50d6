import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDataDir, resolveDataDir } from './data-dir';
import {
  loadOrCreateLocalSecrets,
  localSecretsPath,
  PLATFORM_SECRET_ENV,
  resolvePlatformSecrets,
} from './local-secrets';

describe('local secrets', () => {
  let root: string;
  let dataDir: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gnomon-secrets-'));
    dataDir = path.join(root, 'data');
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates 32-byte base64url secrets once, in a 0600 file inside a 0700 dir', async () => {
    const secrets = await loadOrCreateLocalSecrets(dataDir);

    for (const value of Object.values(secrets)) {
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(value, 'base64url')).toHaveLength(32);
    }
    expect(new Set(Object.values(secrets)).size).toBe(4);
    expect((await stat(localSecretsPath(dataDir))).mode & 0o777).toBe(0o600);
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(localSecretsPath(dataDir), 'utf8'))).toEqual(secrets);
    expect(await readdir(dataDir)).toEqual(['secrets.json']); // no temp files left behind
  });

  it('reuses the file on later calls', async () => {
    const first = await loadOrCreateLocalSecrets(dataDir);
    await expect(loadOrCreateLocalSecrets(dataDir)).resolves.toEqual(first);
  });

  it('gives every concurrent caller the same secrets', async () => {
    const all = await Promise.all(
      Array.from({ length: 10 }, () => loadOrCreateLocalSecrets(dataDir)),
    );
    for (const secrets of all) expect(secrets).toEqual(all[0]);
    expect(await readdir(dataDir)).toEqual(['secrets.json']);
  });

  it('refuses a corrupt file instead of replacing it', async () => {
    await ensureDataDir(dataDir);
    await writeFile(localSecretsPath(dataDir), '{"serviceToken":"x"}', { mode: 0o600 });
    await expect(loadOrCreateLocalSecrets(dataDir)).rejects.toThrow(/lacks apiKeyPepper/);
  });

  it('tightens a secrets file readable by others to 0600', async () => {
    const secrets = await loadOrCreateLocalSecrets(dataDir);
    await chmod(localSecretsPath(dataDir), 0o644);
    await expect(loadOrCreateLocalSecrets(dataDir)).resolves.toEqual(secrets);
    expect((await stat(localSecretsPath(dataDir))).mode & 0o777).toBe(0o600);
  });

  describe('resolvePlatformSecrets', () => {
    it('uses environment values and does not touch the data dir when all are set', async () => {
      const env = {
        GNOMON_SERVICE_TOKEN: 'svc',
        GNOMON_API_KEY_PEPPER: 'pepper',
        GNOMON_CURSOR_SECRET: 'cursor',
        GNOMON_ENCRYPTION_KEY: 'enc',
      };
      await expect(resolvePlatformSecrets(env, dataDir)).resolves.toEqual({
        serviceToken: 'svc',
        apiKeyPepper: 'pepper',
        cursorSecret: 'cursor',
        encryptionKey: 'enc',
      });
      await expect(stat(dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('lets the environment win and fills the rest from the data dir', async () => {
      const local = await loadOrCreateLocalSecrets(dataDir);
      const resolved = await resolvePlatformSecrets(
        { [PLATFORM_SECRET_ENV.apiKeyPepper]: 'from-env', GNOMON_CURSOR_SECRET: '  ' },
        dataDir,
      );
      expect(resolved).toEqual({ ...local, apiKeyPepper: 'from-env' });
    });

    it('creates the file when something is missing', async () => {
      const resolved = await resolvePlatformSecrets({}, dataDir);
      expect(resolved).toEqual(await loadOrCreateLocalSecrets(dataDir));
    });
  });
});

describe('data dir', () => {
  it('defaults to <cwd>/.data and honours GNOMON_DATA_DIR, always absolute', () => {
    expect(resolveDataDir({})).toBe(path.join(process.cwd(), '.data'));
    expect(resolveDataDir({ GNOMON_DATA_DIR: '' })).toBe(path.join(process.cwd(), '.data'));
    expect(resolveDataDir({ GNOMON_DATA_DIR: 'rel/dir' })).toBe(
      path.join(process.cwd(), 'rel/dir'),
    );
    expect(resolveDataDir({ GNOMON_DATA_DIR: '/abs/dir' })).toBe('/abs/dir');
  });
});
