// The runner against real PostgreSQL (each test on its own empty scratch database) and against
// PGlite served over the wire protocol, as `npm start` uses it.
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  applyMigrations,
  checksumMatches,
  listMigrations,
  migrationChecksum,
  MigrationChecksumMismatchError,
  MigrationFailedError,
  resolveMigrationsDir,
} from './migration-runner';

const adminUrl =
  process.env.TEST_DATABASE_URL?.trim() || 'postgresql://postgres@127.0.0.1:5432/postgres';
const repoMigrations = resolveMigrationsDir();
const cleanups: Array<() => Promise<void>> = [];

// Creating databases is slow on a busy server; jest.config's per-project testTimeout is not
// honoured by jest-circus (it reads the global one), so this file sets its own.
jest.setTimeout(60_000);

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** An empty database (from template0) that is dropped after the file. */
async function scratchDatabase(): Promise<string> {
  const name = `gnomon_t_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}" TEMPLATE template0`));
  cleanups.push(() =>
    withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
      () => undefined,
    ),
  );
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A copy of the repository's migrations (with migration_lock.toml) plus extra migrations. */
async function migrationsCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gnomon-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(repoMigrations, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

interface Row {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

function bookkeeping(url: string): Promise<Row[]> {
  return withClient(url, async (c) => {
    const result = await c.query<Row>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY started_at, migration_name',
    );
    return result.rows;
  });
}

function tableExists(url: string, table: string): Promise<boolean> {
  return withClient(
    url,
    async (c) =>
      (await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [table])).rows[0]?.t !=
      null,
  );
}

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('migration files', () => {
  it('lists folders sorted by name, ignoring migration_lock.toml and stray files, with Prisma checksums', async () => {
    const dir = await migrationsCopy({
      '20991231000000_z': 'SELECT 1;',
      '20000101000000_a': 'SELECT 2;',
    });
    await writeFile(path.join(dir, 'README.md'), 'not a migration');
    const listed = await listMigrations(dir);
    const repo = await listMigrations(repoMigrations);
    expect(listed.map((m) => m.name)).toEqual([
      '20000101000000_a',
      ...repo.map((m) => m.name),
      '20991231000000_z',
    ]);
    for (const m of repo) {
      const bytes = await readFile(path.join(repoMigrations, m.name, 'migration.sql'));
      expect(m.checksum).toBe(migrationChecksum(bytes));
      expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('matches checksums the way Prisma does (line endings, legacy unpadded hex)', () => {
    // Test vector from prisma-engines' checksum tests.
    expect(migrationChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    expect(checksumMatches('a;\r\nb;\r\n', migrationChecksum('a;\nb;\n'))).toBe(true);
    expect(checksumMatches('a;\nb;\n', migrationChecksum('a;\r\nb;\r\n'))).toBe(true);
    const unpadded = Array.from(Buffer.from(migrationChecksum('hello'), 'hex'), (b) =>
      b.toString(16),
    ).join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(checksumMatches('hello', unpadded)).toBe(true);
    expect(checksumMatches('abc\n', migrationChecksum('abc'))).toBe(false);
  });
});

describe('applyMigrations on PostgreSQL', () => {
  it('applies every migration to an empty database and records Prisma bookkeeping rows', async () => {
    const url = await scratchDatabase();
    const lines: string[] = [];
    const result = await applyMigrations({ databaseUrl: url, log: (l) => lines.push(l) });

    const files = await listMigrations(repoMigrations);
    expect(result).toEqual({ applied: files.map((f) => f.name), skipped: [] });
    const rows = await bookkeeping(url);
    expect(
      rows.map((r) => [
        r.migration_name,
        r.checksum,
        r.applied_steps_count,
        r.logs,
        r.rolled_back_at,
      ]),
    ).toEqual(files.map((f) => [f.name, f.checksum, 1, null, null]));
    expect(rows.every((r) => r.finished_at instanceof Date)).toBe(true);
    expect(await tableExists(url, 'public.tenants')).toBe(true);
    expect(lines.join('\n')).toContain(`applying ${files[0]?.name}`);

    // Exactly Prisma's table definition.
    const columns = await withClient(url, async (c) =>
      (
        await c.query<{
          column_name: string;
          t: string;
          is_nullable: string;
          column_default: string | null;
        }>(
          `SELECT column_name, format_type(a.atttypid, a.atttypmod) AS t, is_nullable, column_default
             FROM information_schema.columns c
             JOIN pg_attribute a ON a.attrelid = '_prisma_migrations'::regclass AND a.attname = c.column_name
            WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
        )
      ).rows.map((r) =>
        `${r.column_name} ${r.t} ${r.is_nullable === 'NO' ? 'not null' : 'null'} ${r.column_default ?? ''}`.trim(),
      ),
    );
    expect(columns).toEqual([
      'id character varying(36) not null',
      'checksum character varying(64) not null',
      'finished_at timestamp with time zone null',
      'migration_name character varying(255) not null',
      'logs text null',
      'rolled_back_at timestamp with time zone null',
      'started_at timestamp with time zone not null now()',
      'applied_steps_count integer not null 0',
    ]);
  });

  it('is idempotent: a second run applies nothing and changes no row', async () => {
    const url = await scratchDatabase();
    await applyMigrations({ databaseUrl: url });
    const before = await bookkeeping(url);
    const second = await applyMigrations({ databaseUrl: url });
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(before.map((r) => r.migration_name));
    expect(await bookkeeping(url)).toEqual(before);
  });

  it('refuses to run when an applied migration was modified, and applies nothing', async () => {
    const url = await scratchDatabase();
    const dir = await migrationsCopy();
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    const before = await bookkeeping(url);
    const [first] = await listMigrations(dir);
    const file = path.join(dir, first.name, 'migration.sql');
    await writeFile(file, `${await readFile(file, 'utf8')}\n-- edited after it was applied\n`);
    await mkdir(path.join(dir, '20991231000000_pending'));
    await writeFile(
      path.join(dir, '20991231000000_pending', 'migration.sql'),
      'CREATE TABLE "pending_marker" (id int);',
    );

    const run = applyMigrations({ databaseUrl: url, migrationsDir: dir });
    await expect(run).rejects.toBeInstanceOf(MigrationChecksumMismatchError);
    await expect(run).rejects.toThrow(first.name);
    expect(await tableExists(url, 'public.pending_marker')).toBe(false);
    expect(await bookkeeping(url)).toEqual(before);
  });

  it('accepts an applied migration whose file only changed line endings (git autocrlf), like Prisma', async () => {
    const url = await scratchDatabase();
    const dir = await migrationsCopy();
    await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    const migrations = await listMigrations(dir);
    const file = path.join(dir, migrations[0].name, 'migration.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replace(/\n/g, '\r\n'));
    await expect(applyMigrations({ databaseUrl: url, migrationsDir: dir })).resolves.toEqual({
      applied: [],
      skipped: migrations.map((m) => m.name),
    });
  });

  it('rolls a failing migration back, records it as failed, and refuses further runs until resolved', async () => {
    const url = await scratchDatabase();
    const dir = await migrationsCopy({
      '20991230000000_good': 'CREATE TABLE "good_marker" (id int);',
      '20991231000000_bad':
        'CREATE TABLE "bad_marker" (id int);\nINSERT INTO "bad_marker" VALUES (1);\nSELECT * FROM "no_such_table";',
      '20991231100000_after': 'CREATE TABLE "after_marker" (id int);',
    });

    const first = applyMigrations({ databaseUrl: url, migrationsDir: dir });
    await expect(first).rejects.toBeInstanceOf(MigrationFailedError);
    await expect(first).rejects.toMatchObject({
      migrationName: '20991231000000_bad',
      previousAttempt: false,
    });
    expect(await tableExists(url, 'public.good_marker')).toBe(true);
    expect(await tableExists(url, 'public.bad_marker')).toBe(false); // its transaction was rolled back
    expect(await tableExists(url, 'public.after_marker')).toBe(false);
    const failed = (await bookkeeping(url)).find((r) => r.migration_name === '20991231000000_bad');
    expect(failed).toMatchObject({
      finished_at: null,
      rolled_back_at: null,
      applied_steps_count: 0,
    });
    expect(failed?.logs).toContain('42P01');
    expect(failed?.logs).toContain('no_such_table');
    const afterFailure = await bookkeeping(url);

    const second = applyMigrations({ databaseUrl: url, migrationsDir: dir });
    await expect(second).rejects.toMatchObject({
      migrationName: '20991231000000_bad',
      previousAttempt: true,
    });
    await expect(second).rejects.toThrow(/rolled-back 20991231000000_bad/);
    expect(await tableExists(url, 'public.after_marker')).toBe(false);
    expect(await bookkeeping(url)).toEqual(afterFailure);

    // Resolution as with `prisma migrate resolve --rolled-back`: fix the file, mark the attempt rolled back.
    await writeFile(
      path.join(dir, '20991231000000_bad', 'migration.sql'),
      'CREATE TABLE "bad_marker" (id int);',
    );
    await withClient(url, (c) =>
      c.query(
        `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20991231000000_bad'`,
      ),
    );
    const third = await applyMigrations({ databaseUrl: url, migrationsDir: dir });
    expect(third.applied).toEqual(['20991231000000_bad', '20991231100000_after']);
    expect(await tableExists(url, 'public.after_marker')).toBe(true);
  });

  it('lets two concurrent runners apply each migration exactly once', async () => {
    const url = await scratchDatabase();
    const dir = await migrationsCopy({
      '20991231000000_slow': 'SELECT pg_sleep(0.3);\nCREATE TABLE "slow_marker" (id int);',
    });
    const logs: string[][] = [[], []];
    const results = await Promise.all(
      logs.map((lines) =>
        applyMigrations({ databaseUrl: url, migrationsDir: dir, log: (l) => lines.push(l) }),
      ),
    );

    const names = (await listMigrations(dir)).map((m) => m.name);
    const appliedByAny = results.flatMap((r) => r.applied);
    expect([...appliedByAny].sort()).toEqual([...names].sort());
    expect(results.some((r) => r.applied.length === 0 && r.skipped.length === names.length)).toBe(
      true,
    );
    const rows = await bookkeeping(url);
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
    expect(logs.flat().some((l) => l.includes('waiting for another migration runner'))).toBe(true);
  });
});

describe('applyMigrations on PGlite over the wire protocol', () => {
  // PGlite loads its WebAssembly with dynamic import(), which jest's VM refuses, so it is served
  // from a child process as `npm start` would; the child exits when its stdin closes.
  const serverScript = `
    const { PGlite } = require('@electric-sql/pglite');
    const { PGLiteSocketServer } = require('@electric-sql/pglite-socket');
    (async () => {
      const db = await PGlite.create();
      const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0 });
      await server.start();
      process.stdout.write(server.getServerConn() + '\\n');
      process.stdin.on('end', () => server.stop().then(() => db.close()).finally(() => process.exit(0)));
      process.stdin.resume();
    })().catch((error) => { console.error(error); process.exit(1); });`;

  it('applies and is idempotent', async () => {
    const child = spawn(process.execPath, ['-e', serverScript], {
      cwd: path.resolve(repoMigrations, '..', '..'),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const address = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.once('exit', (code) => reject(new Error(`PGlite server exited with ${code}`)));
      });
      const url = `postgresql://postgres@${address}/postgres`;
      const first = await applyMigrations({ databaseUrl: url });
      expect(first.applied).toEqual((await listMigrations(repoMigrations)).map((m) => m.name));
      const second = await applyMigrations({ databaseUrl: url });
      expect(second).toEqual({ applied: [], skipped: first.applied });
      const rows = await bookkeeping(url);
      expect(rows.map((r) => [r.migration_name, r.applied_steps_count, r.rolled_back_at])).toEqual(
        first.applied.map((n) => [n, 1, null]),
      );
      expect(rows.every((r) => r.finished_at !== null)).toBe(true);
      expect(await tableExists(url, 'public.provider_credentials')).toBe(true);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      await exited;
    }
  });
});
