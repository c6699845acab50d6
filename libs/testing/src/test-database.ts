// Test databases: one migrated template per migration history, cloned per test file with
// CREATE DATABASE … TEMPLATE (tens of milliseconds instead of re-running every migration).
import { applyMigrations, listMigrations } from '@gnomon/db';
import { createHash, randomBytes } from 'node:crypto';
import { Client, DatabaseError } from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_TEST_REDIS_URL = 'redis://127.0.0.1:6379';

/** Serializes template creation between concurrent jest runs (held on the admin database). */
const TEMPLATE_LOCK_KEY = 0x676e6d74; // "gnmt"
const TEST_DB_PREFIX = 'gnomon_t_';
const TEMPLATE_PREFIX = 'gnomon_tpl_';
/** Clones left behind by crashed runs are dropped by the next global setup after this long. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

export interface TestDatabase {
  /** Connection URL of the clone (same server and credentials as TEST_DATABASE_URL). */
  url: string;
  name: string;
  /** Terminates the clone's connections and drops it; safe to call twice. */
  drop(): Promise<void>;
}

/** Superuser URL of the test server's maintenance database: TEST_DATABASE_URL or the local default. */
export function testDatabaseAdminUrl(): string {
  return process.env.TEST_DATABASE_URL?.trim() || DEFAULT_TEST_DATABASE_URL;
}

export function redisTestUrl(): string {
  return process.env.TEST_REDIS_URL?.trim() || DEFAULT_TEST_REDIS_URL;
}

/** The admin URL pointing at another database on the same server. */
export function testDatabaseUrl(name: string): string {
  const url = new URL(testDatabaseAdminUrl());
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function redact(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.password) url.password = '***';
  return url.toString();
}

async function connectAdmin(): Promise<Client> {
  const adminUrl = testDatabaseAdminUrl();
  const client = new Client({
    connectionString: adminUrl,
    connectionTimeoutMillis: 5_000,
    application_name: 'gnomon-test-setup',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL is not reachable at ${redact(adminUrl)} (${error instanceof Error ? error.message : String(error)}). ` +
        'Start it (integration tests need a real PostgreSQL with a superuser) or point TEST_DATABASE_URL at one.',
    );
  }
  return client;
}

/** `gnomon_tpl_<hash8>`: the hash covers every migration's name and checksum. */
export async function templateDatabaseName(): Promise<string> {
  const hash = createHash('sha256');
  for (const migration of await listMigrations())
    hash.update(`${migration.name}:${migration.checksum}\n`);
  return `${TEMPLATE_PREFIX}${hash.digest('hex').slice(0, 8)}`;
}

async function databaseExists(client: Client, name: string): Promise<boolean> {
  const result = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  return result.rowCount === 1;
}

async function dropDatabase(client: Client, name: string): Promise<void> {
  await client.query(
    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
}

async function buildTemplate(client: Client, template: string): Promise<void> {
  // Built under a scratch name and renamed when complete: a template that exists is whole.
  const building = `${template}_build`;
  await dropDatabase(client, building);
  await client.query(`CREATE DATABASE ${quoteIdent(building)} TEMPLATE template0`);
  try {
    await applyMigrations({ databaseUrl: testDatabaseUrl(building) });
    await client.query(`ALTER DATABASE ${quoteIdent(building)} RENAME TO ${quoteIdent(template)}`);
  } catch (error) {
    await dropDatabase(client, building).catch(() => undefined);
    throw error;
  }
  // Nobody may connect to it, so cloning never fails on "being accessed by other users".
  await client.query(
    `ALTER DATABASE ${quoteIdent(template)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
  );
}

let templateReady: Promise<string> | undefined;

/**
 * Creates the migrated template database for the current migrations unless it exists.
 * Memoized per process; concurrent jest runs serialize on an advisory lock.
 */
export function ensureTemplateDatabase(): Promise<string> {
  templateReady ??= (async () => {
    const template = await templateDatabaseName();
    const client = await connectAdmin();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
      try {
        if (!(await databaseExists(client, template))) await buildTemplate(client, template);
      } finally {
        await client
          .query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY])
          .catch(() => undefined);
      }
      return template;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  templateReady.catch(() => {
    templateReady = undefined;
  });
  return templateReady;
}

/** A fresh, fully migrated database cloned from the template; drop it in afterAll. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = await ensureTemplateDatabase();
  const name = `${TEST_DB_PREFIX}${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
  const client = await connectAdmin();
  try {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
        break;
      } catch (error) {
        // 55006 object_in_use: another session briefly touched the template; retry.
        if (!(error instanceof DatabaseError && error.code === '55006') || attempt >= 10)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return {
    name,
    url: testDatabaseUrl(name),
    async drop() {
      const admin = await connectAdmin();
      try {
        await dropDatabase(admin, name);
      } finally {
        await admin.end().catch(() => undefined);
      }
    },
  };
}

/** Drops clones older than a few hours that crashed runs left behind (names carry their birth time). */
export async function dropStaleTestDatabases(): Promise<string[]> {
  const client = await connectAdmin();
  const dropped: string[] = [];
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database d
        WHERE datname LIKE $1
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
      [`${TEST_DB_PREFIX}%`],
    );
    for (const { datname } of rows) {
      const born = parseInt(datname.slice(TEST_DB_PREFIX.length).split('_')[0] ?? '', 36);
      if (!Number.isFinite(born) || Date.now() - born < STALE_AFTER_MS) continue;
      try {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)}`);
        dropped.push(datname);
      } catch {
        // In use after all, or already gone: leave it.
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
  return dropped;
}
