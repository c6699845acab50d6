// Applies the SQL migrations under prisma/migrations with Prisma's own bookkeeping
// (`_prisma_migrations`, same checksums, same advisory lock), so this runner and
// `prisma migrate deploy` are interchangeable on the same database. It needs only `pg`, which
// lets it run where the Prisma schema engine is unavailable, including PGlite over the wire.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client, DatabaseError } from 'pg';

export interface ApplyMigrationsOptions {
  databaseUrl: string;
  /** Defaults to GNOMON_MIGRATIONS_DIR, else the nearest `prisma/migrations` above this file. */
  migrationsDir?: string;
  log?: (line: string) => void;
  /** How long to wait for another runner holding the migration lock. Default 10 minutes. */
  lockTimeoutMs?: number;
}

export interface ApplyMigrationsResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations found already applied. */
  skipped: string[];
}

export interface MigrationFile {
  name: string;
  /** Lower-case sha256 hex of migration.sql, as Prisma records it. */
  checksum: string;
  sql: string;
}

/** An applied migration's file was edited afterwards; nothing was applied. */
export class MigrationChecksumMismatchError extends Error {
  constructor(
    readonly migrationName: string,
    readonly recordedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(
      `Migration ${migrationName} was modified after it was applied ` +
        `(recorded checksum ${recordedChecksum}, file checksum ${fileChecksum}). ` +
        'Restore the original migration.sql and put the change in a new migration. Nothing was applied.',
    );
    this.name = 'MigrationChecksumMismatchError';
  }
}

/**
 * A migration failed: either now (its transaction was rolled back and the failure recorded),
 * or in an earlier attempt that is still unresolved (`previousAttempt`), in which case nothing
 * is applied until an operator resolves it, exactly like Prisma's P3009.
 */
export class MigrationFailedError extends Error {
  constructor(
    readonly migrationName: string,
    readonly reason: string,
    readonly previousAttempt: boolean,
  ) {
    super(
      previousAttempt
        ? `Migration ${migrationName} failed in an earlier attempt; no migration will be applied until it is resolved. ` +
            `Recorded error: ${reason}. Its changes were rolled back, so after fixing migration.sql mark it rolled back ` +
            `(\`prisma migrate resolve --rolled-back ${migrationName}\`, or UPDATE "_prisma_migrations" SET rolled_back_at = now() ` +
            `WHERE migration_name = '${migrationName}' AND finished_at IS NULL) and run the migrations again.`
        : `Migration ${migrationName} failed and was rolled back: ${reason}`,
    );
    this.name = 'MigrationFailedError';
  }
}

/** Prisma Migrate's advisory lock key, so this runner and `prisma migrate deploy` exclude each other. */
const PRISMA_MIGRATE_LOCK_KEY = 72707369;
const LOCK_POLL_MS = 100;

const BOOKKEEPING_DDL = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  logs: string | null;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

/**
 * The migrations directory: GNOMON_MIGRATIONS_DIR, else the nearest `prisma/migrations` walking
 * up from this file (works from libs/db/src/migrations and from dist/libs/db/src/migrations),
 * else from the working directory.
 */
export function resolveMigrationsDir(): string {
  const fromEnv = process.env.GNOMON_MIGRATIONS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      const candidate = path.join(dir, 'prisma', 'migrations');
      if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new Error(
    `No prisma/migrations directory found above ${__dirname} or ${process.cwd()}; set GNOMON_MIGRATIONS_DIR.`,
  );
}

export function migrationChecksum(script: Buffer | string): string {
  return createHash('sha256').update(script).digest('hex');
}

/**
 * Same rule as Prisma's schema engine: the recorded checksum may come from the script with
 * other line endings (git autocrlf), or from old engines that did not zero-pad hex bytes.
 */
export function checksumMatches(script: string, recorded: string): boolean {
  const variants = [script, script.replace(/\r\n/g, '\n'), script.replace(/\n/g, '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    const rendered =
      recorded.length === 64
        ? digest.toString('hex')
        : Array.from(digest, (byte) => byte.toString(16)).join('');
    return rendered === recorded;
  });
}

/** Migration folders sorted by name; files (migration_lock.toml, …) are ignored. */
export async function listMigrations(
  migrationsDir: string = resolveMigrationsDir(),
): Promise<MigrationFile[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names: string[] = [];
  for (const entry of entries) {
    const isDir =
      entry.isDirectory() ||
      (entry.isSymbolicLink() && (await stat(path.join(migrationsDir, entry.name))).isDirectory());
    if (isDir) names.push(entry.name);
  }
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(migrationsDir, name, 'migration.sql');
      let bytes: Buffer;
      try {
        bytes = await readFile(file);
      } catch (error) {
        throw new Error(
          `Migration folder ${name} has no readable migration.sql (${file}): ${String(error)}`,
        );
      }
      return { name, checksum: migrationChecksum(bytes), sql: bytes.toString('utf8') };
    }),
  );
}

/**
 * Applies every pending migration, each in its own transaction together with its
 * `_prisma_migrations` row. Refuses, applying nothing, when an applied migration was edited or
 * an earlier attempt failed. Safe to run concurrently: runners serialize on an advisory lock.
 */
export async function applyMigrations(
  options: ApplyMigrationsOptions,
): Promise<ApplyMigrationsResult> {
  const log = options.log ?? (() => undefined);
  const migrationsDir = options.migrationsDir
    ? path.resolve(options.migrationsDir)
    : resolveMigrationsDir();
  const migrations = await listMigrations(migrationsDir);
  const client = new Client({
    connectionString: options.databaseUrl,
    application_name: 'gnomon-migrate',
  });
  // An error on an idle client (server restart) must surface through the awaited query instead.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await acquireLock(client, options.lockTimeoutMs ?? 600_000, log);
    try {
      await client.query(BOOKKEEPING_DDL);
      const rows = (
        await client.query<MigrationRow>(
          `SELECT id, checksum, migration_name, logs, finished_at, rolled_back_at, started_at
             FROM "_prisma_migrations" ORDER BY started_at, migration_name`,
        )
      ).rows;
      const pending = plan(migrations, rows, log);
      const applied: string[] = [];
      for (const migration of pending) {
        await applyOne(client, migration, log);
        applied.push(migration.name);
      }
      const skipped = migrations.filter((m) => !applied.includes(m.name)).map((m) => m.name);
      log(
        applied.length > 0
          ? `migrations: applied ${applied.length}, ${skipped.length} already applied`
          : `migrations: up to date (${skipped.length} applied)`,
      );
      return { applied, skipped };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY])
        .catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Decides what to apply; throws before anything is applied when the history is not sound. */
function plan(
  migrations: MigrationFile[],
  rows: MigrationRow[],
  log: (line: string) => void,
): MigrationFile[] {
  const live = rows.filter((row) => row.rolled_back_at === null);
  const failed = live.find((row) => row.finished_at === null);
  if (failed) {
    throw new MigrationFailedError(failed.migration_name, failed.logs ?? 'no error recorded', true);
  }
  const appliedByName = new Map(live.map((row) => [row.migration_name, row]));
  for (const migration of migrations) {
    const row = appliedByName.get(migration.name);
    if (row && !checksumMatches(migration.sql, row.checksum)) {
      throw new MigrationChecksumMismatchError(migration.name, row.checksum, migration.checksum);
    }
  }
  const known = new Set(migrations.map((m) => m.name));
  for (const name of appliedByName.keys()) {
    if (!known.has(name))
      log(
        `migrations: warning: ${name} is applied in the database but missing from the migrations directory`,
      );
  }
  return migrations.filter((m) => !appliedByName.has(m.name));
}

// Note: a migration runs inside this runner's transaction, so it must not contain its own
// COMMIT or statements that cannot run in a transaction block (CREATE INDEX CONCURRENTLY).
async function applyOne(
  client: Client,
  migration: MigrationFile,
  log: (line: string) => void,
): Promise<void> {
  const id = randomUUID();
  const startedAt = new Date();
  log(`migrations: applying ${migration.name}`);
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, $4, 0)`,
      [id, migration.checksum, migration.name, startedAt],
    );
    await client.query(migration.sql);
    await client.query(
      `UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    const reason = describeError(error);
    // Recorded like Prisma records a failure: finished_at and rolled_back_at stay null.
    await client
      .query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, logs, started_at, applied_steps_count)
         VALUES ($1, $2, $3, $4, $5, 0)`,
        [id, migration.checksum, migration.name, reason, startedAt],
      )
      .catch((recordError: unknown) =>
        log(`migrations: could not record the failure: ${describeError(recordError)}`),
      );
    log(`migrations: ${migration.name} failed and was rolled back: ${reason}`);
    throw new MigrationFailedError(migration.name, reason, false);
  }
  log(`migrations: applied ${migration.name} in ${Date.now() - startedAt.getTime()} ms`);
}

async function acquireLock(
  client: Client,
  timeoutMs: number,
  log: (line: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    const result = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [PRISMA_MIGRATE_LOCK_KEY],
    );
    if (result.rows[0]?.locked) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})) held by another runner.`,
      );
    }
    if (!announced) {
      log('migrations: waiting for another migration runner to finish');
      announced = true;
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

function describeError(error: unknown): string {
  if (error instanceof DatabaseError) {
    const details = [
      `Database error code: ${error.code ?? 'unknown'}`,
      `Database error: ${error.message}`,
    ];
    if (error.detail) details.push(`Detail: ${error.detail}`);
    if (error.position) details.push(`Position: ${error.position}`);
    return details.join('\n');
  }
  return error instanceof Error ? error.message : String(error);
}
