// Run by the migration task after `db:migrate` (infra/components/migration.ts), as the database
// owner: creates or updates the login role the services connect as, whose only privilege is
// membership in gnomon_app (ADR 0003: the migration creates gnomon_app and grants it to nobody).
// Reads DATABASE_URL (owner), APP_DB_USER and APP_DB_PASSWORD; prints no secret; exits 1 on error.
import pg from 'pg';

const APP_ROLE = 'gnomon_app';

async function main() {
  const { DATABASE_URL, APP_DB_USER, APP_DB_PASSWORD } = process.env;
  if (!DATABASE_URL || !APP_DB_USER || !APP_DB_PASSWORD) {
    console.error('app-login: DATABASE_URL, APP_DB_USER and APP_DB_PASSWORD are required');
    return 1;
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(APP_DB_USER)) {
    console.error('app-login: APP_DB_USER must be a lower-case SQL identifier');
    return 1;
  }
  const client = new pg.Client({ connectionString: DATABASE_URL });
  try {
    await client.connect();
  } catch (error) {
    console.error(
      `app-login: cannot connect: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  }
  try {
    const user = client.escapeIdentifier(APP_DB_USER);
    const password = client.escapeLiteral(APP_DB_PASSWORD);
    await client.query('BEGIN');
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [
      APP_DB_USER,
    ]);
    const verb = rowCount === 0 ? 'CREATE' : 'ALTER';
    // A login that owns nothing, cannot create anything and bypasses no policy.
    await client.query(
      `${verb} ROLE ${user} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD ${password}`,
    );
    await client.query(`GRANT ${client.escapeIdentifier(APP_ROLE)} TO ${user}`);
    const { rows } = await client.query('SELECT current_database() AS db');
    await client.query(
      `GRANT CONNECT ON DATABASE ${client.escapeIdentifier(rows[0].db)} TO ${user}`,
    );
    await client.query('COMMIT');
    console.log(
      `app-login: ${verb === 'CREATE' ? 'created' : 'updated'} ${APP_DB_USER} (member of ${APP_ROLE})`,
    );
    return 0;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    console.error(`app-login: failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await client.end();
  }
}

process.exitCode = await main();
