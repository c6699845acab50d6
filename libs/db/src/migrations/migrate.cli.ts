// `npm run db:migrate`: applies pending migrations to DATABASE_URL and exits 1 on any error.
// GNOMON_MIGRATIONS_DIR overrides where the migrations are read from.
import {
  applyMigrations,
  MigrationChecksumMismatchError,
  MigrationFailedError,
  resolveMigrationsDir,
} from './migration-runner';

/** The URL without its password, for messages. */
function redact(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

async function main(): Promise<number> {
  const databaseUrl = process.env.DATABASE_URL?.trim();
  if (!databaseUrl) {
    console.error(
      'db:migrate: DATABASE_URL is not set. Example: DATABASE_URL=postgresql://user:password@localhost:5432/gnomon npm run db:migrate',
    );
    return 1;
  }
  try {
    const migrationsDir = resolveMigrationsDir();
    console.log(`db:migrate: ${redact(databaseUrl)} from ${migrationsDir}`);
    const started = Date.now();
    const { applied, skipped } = await applyMigrations({
      databaseUrl,
      migrationsDir,
      log: (line) => console.log(line),
    });
    for (const name of applied) console.log(`  applied  ${name}`);
    console.log(
      applied.length > 0
        ? `db:migrate: applied ${applied.length} migration(s), ${skipped.length} already applied, in ${Date.now() - started} ms`
        : `db:migrate: database is up to date (${skipped.length} migration(s) applied)`,
    );
    return 0;
  } catch (error) {
    const known =
      error instanceof MigrationChecksumMismatchError || error instanceof MigrationFailedError;
    // Known refusals explain themselves; anything else (connection refused, bad URL) gets its stack.
    const message =
      error instanceof Error
        ? known
          ? error.message
          : (error.stack ?? error.message)
        : String(error);
    console.error(`db:migrate: failed: ${message}`);
    return 1;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
