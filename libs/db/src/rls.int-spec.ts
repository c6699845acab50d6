// Row-Level Security proofs in raw SQL: whatever the application code does, the database
// itself keeps one tenant's rows away from another's. Fixtures are written as the superuser;
// every assertion runs as the application role (`SET ROLE gnomon_app`), as the services do.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Client, DatabaseError } from 'pg';
import { applyMigrations } from './migrations/migration-runner';

const adminUrl =
  process.env.TEST_DATABASE_URL?.trim() || 'postgresql://postgres@127.0.0.1:5432/postgres';
const databaseName = `gnomon_t_${Date.now().toString(36)}_${randomBytes(5).toString('hex')}`;
let su: Client; // superuser: fixtures and after-the-fact checks
let app: Client; // the application role

// Creating databases is slow on a busy server; jest.config's per-project testTimeout is not
// honoured by jest-circus (it reads the global one), so this file sets its own.
jest.setTimeout(60_000);

/**
 * Tenant-owned tables with a harmless UPDATE for each. audit_logs and tool_versions are
 * append-only (see (e)). Listed in insertion order: a tool version needs its tool.
 */
const TENANT_TABLES = {
  members: `name = 'hijacked'`,
  api_keys: `name = 'hijacked'`,
  sessions: 'revoked_at = now()',
  member_links: 'used_at = now()',
  audit_logs: `action = 'hijacked'`,
  budget_policies: 'limit_micros = 1',
  rate_limit_policies: 'requests_per_minute = 1',
  provider_credentials: `label = 'hijacked'`,
  tools: `description = 'hijacked'`,
  tool_versions: `description = 'hijacked'`,
  tasks: `description = 'hijacked'`,
  task_versions: `created_by = 'hijacked'`,
  runs: `replay_from = 'hijacked'`,
  steps: `step_key = 'hijacked'`,
  approvals: `reason = 'hijacked'`,
  run_events: `type = 'hijacked'`,
  tool_events: `status = 'hijacked'`,
} as const;
type TenantTable = keyof typeof TENANT_TABLES;
const TABLES = Object.keys(TENANT_TABLES) as TenantTable[];
const APPEND_ONLY_TABLES: TenantTable[] = [
  'audit_logs',
  'tool_versions',
  'task_versions',
  'run_events',
  'tool_events',
];
const MUTABLE_TABLES = TABLES.filter((t) => !APPEND_ONLY_TABLES.includes(t));
/** Soft-deleted: the application role may update these rows but never delete them. */
const NO_DELETE_TABLES: TenantTable[] = ['tools', 'tasks', 'runs', 'steps', 'approvals'];

/** A valid INSERT of one row for `tenantId`; `variant` and `second` keep unique keys apart. */
function insertRow(
  table: TenantTable,
  tenantId: string,
  variant: string,
  second = false,
): { text: string; values: unknown[] } {
  const id = randomUUID();
  switch (table) {
    case 'members':
      return {
        text: `INSERT INTO members (id, tenant_id, email, name, role) VALUES ($1, $2, $3, 'Member', 'ADMIN')`,
        values: [id, tenantId, `${variant}@example.test`],
      };
    case 'api_keys':
      return {
        text: `INSERT INTO api_keys (id, tenant_id, name, prefix, last_four, secret_hash, scopes, created_by_type, created_by_id)
               VALUES ($1, $2, 'key', 'gk_test', 'abcd', $3, ARRAY['runs:write'], 'SYSTEM', 'fixture')`,
        values: [id, tenantId, `hash-${variant}`],
      };
    case 'sessions':
      return {
        text: `INSERT INTO sessions (id, tenant_id, principal_type, member_id, secret_hash, method, last_seen_at, idle_expires_at, expires_at)
               VALUES ($1, $2, 'MEMBER', (SELECT id FROM members WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), $3,
                       'PASSWORD', now(), now() + interval '30 minutes', now() + interval '12 hours')`,
        values: [id, tenantId, `session-${variant}${second ? '-2' : ''}`],
      };
    case 'member_links':
      return {
        text: `INSERT INTO member_links (id, tenant_id, member_id, purpose, token_hash, expires_at, created_by_type, created_by_id)
               VALUES ($1, $2, (SELECT id FROM members WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), 'INVITATION', $3,
                       now() + interval '3 days', 'SYSTEM', 'fixture')`,
        values: [id, tenantId, `link-${variant}${second ? '-2' : ''}`],
      };
    case 'audit_logs':
      return {
        text: `INSERT INTO audit_logs (id, tenant_id, actor_type, actor_id, action, target_type, request_id) VALUES ($1, $2, 'SYSTEM', 'fixture', $3, 'tenant', 'req-1')`,
        values: [id, tenantId, `fixture.${variant}`],
      };
    case 'budget_policies':
      return {
        text: `INSERT INTO budget_policies (id, tenant_id, period, limit_micros) VALUES ($1, $2, $3, 5000000)`,
        values: [id, tenantId, second ? 'DAILY' : 'MONTHLY'],
      };
    case 'rate_limit_policies':
      return {
        text: `INSERT INTO rate_limit_policies (id, tenant_id, subject, requests_per_minute) VALUES ($1, $2, $3, 60)`,
        values: [id, tenantId, second ? 'USER' : 'TENANT'],
      };
    case 'provider_credentials':
      return {
        text: `INSERT INTO provider_credentials (id, tenant_id, provider, label, ciphertext, iv, auth_tag, last_four) VALUES ($1, $2, 'openai', $3, '\\x01', '\\x02', '\\x03', 'wxyz')`,
        values: [id, tenantId, variant],
      };
    case 'tools':
      return {
        text: `INSERT INTO tools (id, tenant_id, name, kind, description, current_version) VALUES ($1, $2, $3, 'js', 'a tool', 1)`,
        values: [id, tenantId, `tool-${variant}`],
      };
    case 'tool_versions':
      // Version 1 (or 2) of the tenant's first tool, as far as the inserting role can see it.
      return {
        text: `INSERT INTO tool_versions (id, tenant_id, tool_id, version, description, source, allow_net)
               VALUES ($1, $2, (SELECT id FROM tools WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), $3, 'v', 'export default () => 1', '{}')`,
        values: [id, tenantId, second ? 2 : 1],
      };
    case 'tasks':
      return {
        text: `INSERT INTO tasks (id, tenant_id, name, description, current_version) VALUES ($1, $2, $3, 'a task', 1)`,
        values: [id, tenantId, `task-${variant}`],
      };
    case 'task_versions':
      return {
        text: `INSERT INTO task_versions (id, tenant_id, task_id, version, definition)
               VALUES ($1, $2, (SELECT id FROM tasks WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), $3, '{}')`,
        values: [id, tenantId, second ? 2 : 1],
      };
    case 'runs':
      return {
        text: `INSERT INTO runs (id, tenant_id, task_id, task_version_id, task_version, input)
               VALUES ($1, $2, (SELECT id FROM tasks WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1),
                       (SELECT id FROM task_versions WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), 1, '{}')`,
        values: [id, tenantId],
      };
    case 'steps':
      return {
        text: `INSERT INTO steps (id, tenant_id, run_id, seq, step_key, type)
               VALUES ($1, $2, (SELECT id FROM runs WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), $3, 'draft', 'llm')`,
        values: [id, tenantId, second ? 2 : 1],
      };
    case 'approvals':
      return {
        text: `INSERT INTO approvals (id, tenant_id, run_id, step_id, step_key, prompt, expires_at)
               VALUES ($1, $2, (SELECT id FROM runs WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1),
                       (SELECT id FROM steps WHERE tenant_id = $2 ORDER BY seq DESC LIMIT 1), 'review', 'ok?', now() + interval '1 day')`,
        values: [id, tenantId],
      };
    case 'run_events':
      return {
        text: `INSERT INTO run_events (id, tenant_id, run_id, type)
               VALUES ($1, $2, (SELECT id FROM runs WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1), 'run.created')`,
        values: [String(randomInt(1, 2 ** 47)), tenantId],
      };
    case 'tool_events':
      return {
        text: `INSERT INTO tool_events (id, tenant_id, run_id, step_id, call_key, tool_name, tool_version, status)
               VALUES ($1, $2, (SELECT id FROM runs WHERE tenant_id = $2 ORDER BY created_at, id LIMIT 1),
                       (SELECT id FROM steps WHERE tenant_id = $2 ORDER BY seq LIMIT 1), $3, 'lookup', 1, 'SUCCEEDED')`,
        values: [id, tenantId, `call-${variant}`],
      };
  }
}

interface Tenant {
  id: string;
  /** id of this tenant's fixture row in each table */
  rows: Record<TenantTable, string>;
  secretHash: string;
}

/** Two fresh tenants, each with one row in every tenant-owned table (inserted as superuser). */
async function seedTenants(): Promise<[Tenant, Tenant]> {
  const make = async (label: string): Promise<Tenant> => {
    const id = randomUUID();
    const variant = `${label}-${randomBytes(4).toString('hex')}`;
    await su.query(`INSERT INTO tenants (id, name) VALUES ($1, $2)`, [id, `Tenant ${variant}`]);
    const rows = {} as Record<TenantTable, string>;
    for (const table of TABLES) {
      const insert = insertRow(table, id, variant);
      await su.query(insert.text, insert.values);
      rows[table] = insert.values[0] as string;
    }
    return { id, rows, secretHash: `hash-${variant}` };
  };
  return [await make('a'), await make('b')];
}

/**
 * Runs `sql` inside a savepoint, keeping the transaction usable, and says how it ended: 'ok',
 * '42501 rls' (row-level security refused the row), '42501 denied' (no privilege) or the SQLSTATE.
 */
async function sqlState(client: Client, text: string, values: unknown[] = []): Promise<string> {
  await client.query('SAVEPOINT probe');
  try {
    await client.query(text, values);
    await client.query('RELEASE SAVEPOINT probe');
    return 'ok';
  } catch (error) {
    await client.query('ROLLBACK TO SAVEPOINT probe');
    if (!(error instanceof DatabaseError) || !error.code) throw error;
    if (error.code !== '42501') return error.code;
    if (error.message.includes('row-level security')) return '42501 rls';
    return error.message.startsWith('permission denied') ? '42501 denied' : error.message;
  }
}

async function inTenant<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
  await app.query('BEGIN');
  try {
    await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenantId]);
    const result = await work();
    await app.query('COMMIT');
    return result;
  } catch (error) {
    await app.query('ROLLBACK');
    throw error;
  }
}

async function count(client: Client, sql: string, values: unknown[] = []): Promise<number> {
  const result = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM (${sql}) AS q`,
    values,
  );
  return Number(result.rows[0]?.n);
}

/** Every row of `tenantId` in every table, as the superuser sees them. */
async function snapshot(tenantId: string): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const table of ['tenants', ...TABLES]) {
    const column = table === 'tenants' ? 'id' : 'tenant_id';
    out[table] = (
      await su.query(`SELECT to_jsonb(t) AS row FROM ${table} t WHERE ${column} = $1 ORDER BY id`, [
        tenantId,
      ])
    ).rows;
  }
  return out;
}

beforeAll(async () => {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${databaseName}" TEMPLATE template0`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${databaseName}`;
  await applyMigrations({ databaseUrl: url.toString() });
  su = new Client({ connectionString: url.toString() });
  app = new Client({ connectionString: url.toString() });
  await Promise.all([su.connect(), app.connect()]);
  await app.query('SET ROLE gnomon_app');
});

afterAll(async () => {
  await Promise.all([su?.end(), app?.end()]);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  await admin.end();
});

describe('row-level security for the application role', () => {
  it('(a) without a tenant context, no tenant-owned row and no tenant is visible', async () => {
    await seedTenants();
    expect((await app.query('SELECT current_user AS u')).rows[0]).toEqual({ u: 'gnomon_app' });
    for (const table of ['tenants', ...TABLES]) {
      expect({ table, superuser: (await count(su, `SELECT 1 FROM ${table}`)) > 0 }).toEqual({
        table,
        superuser: true,
      });
      expect({ table, app: await count(app, `SELECT 1 FROM ${table}`) }).toEqual({ table, app: 0 });
    }
  });

  it('(a) the platform context sees the tenant registry but still no tenant-owned row', async () => {
    const [a, b] = await seedTenants();
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.platform', 'on', true)`);
      expect(await count(app, 'SELECT 1 FROM tenants WHERE id = ANY($1)', [[a.id, b.id]])).toBe(2);
      for (const table of TABLES)
        expect({ table, n: await count(app, `SELECT 1 FROM ${table}`) }).toEqual({ table, n: 0 });
    } finally {
      await app.query('ROLLBACK');
    }
  });

  it("(b) inside tenant A's transaction only A's rows can be read or written", async () => {
    const [a, b] = await seedTenants();
    const bBefore = await snapshot(b.id);

    await inTenant(a.id, async () => {
      expect((await app.query('SELECT id FROM tenants')).rows).toEqual([{ id: a.id }]);
      expect(await count(app, `SELECT 1 FROM tenants WHERE id = $1`, [b.id])).toBe(0);
      expect(
        (await app.query(`UPDATE tenants SET name = 'hijacked' WHERE id = $1`, [b.id])).rowCount,
      ).toBe(0);
      expect(await sqlState(app, `INSERT INTO tenants (name) VALUES ('rogue')`)).toBe('42501 rls');

      for (const table of TABLES) {
        const seen = (await app.query<{ tenant_id: string }>(`SELECT tenant_id FROM ${table}`))
          .rows;
        expect({ table, seen }).toEqual({ table, seen: [{ tenant_id: a.id }] });
        expect({
          table,
          byId: await count(app, `SELECT 1 FROM ${table} WHERE id = $1`, [b.rows[table]]),
        }).toEqual({ table, byId: 0 });
        const foreign = insertRow(table, b.id, `rogue-${randomBytes(3).toString('hex')}`, true);
        expect({ table, insertForB: await sqlState(app, foreign.text, foreign.values) }).toEqual({
          table,
          insertForB: '42501 rls',
        });
      }
      for (const table of MUTABLE_TABLES) {
        const set = TENANT_TABLES[table];
        const upd = await app.query(`UPDATE ${table} SET ${set} WHERE id = $1 OR tenant_id = $2`, [
          b.rows[table],
          b.id,
        ]);
        const del = NO_DELETE_TABLES.includes(table)
          ? await sqlState(app, `DELETE FROM ${table} WHERE id = $1 OR tenant_id = $2`, [
              b.rows[table],
              b.id,
            ])
          : (
              await app.query(`DELETE FROM ${table} WHERE id = $1 OR tenant_id = $2`, [
                b.rows[table],
                b.id,
              ])
            ).rowCount;
        expect({ table, updated: upd.rowCount, deleted: del }).toEqual({
          table,
          updated: 0,
          deleted: NO_DELETE_TABLES.includes(table) ? '42501 denied' : 0,
        });
        // Moving an own row into another tenant is refused by WITH CHECK.
        const move = await sqlState(app, `UPDATE ${table} SET tenant_id = $1 WHERE id = $2`, [
          b.id,
          a.rows[table],
        ]);
        expect({ table, move }).toEqual({ table, move: '42501 rls' });
        // Positive control: the same statements do work on A's own rows.
        expect({
          table,
          own: (await app.query(`UPDATE ${table} SET ${set} WHERE id = $1`, [a.rows[table]]))
            .rowCount,
        }).toEqual({ table, own: 1 });
      }
      const own = insertRow('members', a.id, `own-${randomBytes(3).toString('hex')}`);
      expect(await sqlState(app, own.text, own.values)).toBe('ok');
    });

    expect(await snapshot(b.id)).toEqual(bBefore);
  });

  it('(c) the tenant context is transaction-local and never survives on the connection', async () => {
    const [a] = await seedTenants();
    await inTenant(a.id, async () => {
      expect(await count(app, 'SELECT 1 FROM members')).toBe(1);
    });
    await app.query('BEGIN');
    expect(
      (
        await app.query(
          `SELECT current_setting('app.tenant_id', true) AS t, gnomon_current_tenant() AS g`,
        )
      ).rows[0],
    ).toEqual({ t: '', g: null });
    expect(await count(app, 'SELECT 1 FROM members')).toBe(0);
    await app.query('COMMIT');

    // A rolled-back transaction leaves nothing either, and neither does an autocommit statement.
    await app.query('BEGIN');
    await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [a.id]);
    await app.query('ROLLBACK');
    expect(await count(app, 'SELECT 1 FROM members')).toBe(0);
    await app.query(`SELECT set_config('app.tenant_id', $1, true)`, [a.id]);
    expect(await count(app, 'SELECT 1 FROM members')).toBe(0);
    expect((await app.query('SELECT current_user AS u')).rows[0]).toEqual({ u: 'gnomon_app' });
  });

  it('(d) every table with a tenant_id column has RLS enabled and a tenant policy (new tables included)', async () => {
    const tables = await su.query<{ table: string; rls: boolean; policies: string }>(
      `SELECT c.relname AS table, c.relrowsecurity AS rls,
              coalesce((SELECT string_agg(p.polname, ',') FROM pg_policy p WHERE p.polrelid = c.oid), '') AS policies
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
        ORDER BY 1`,
    );
    expect(tables.rows.length).toBeGreaterThanOrEqual(6);
    for (const row of tables.rows)
      expect({ table: row.table, rls: row.rls, policies: row.policies }).toEqual({
        table: row.table,
        rls: true,
        policies: 'tenant_isolation',
      });
  });

  it('(d) gnomon_app cannot bypass RLS and owns nothing', async () => {
    const role = await su.query(
      `SELECT rolbypassrls, rolsuper, rolcanlogin, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'gnomon_app'`,
    );
    expect(role.rows).toEqual([
      {
        rolbypassrls: false,
        rolsuper: false,
        rolcanlogin: false,
        rolcreaterole: false,
        rolcreatedb: false,
      },
    ]);
    const inherited = await su.query(
      `SELECT r.rolname FROM pg_roles r WHERE r.rolname <> 'gnomon_app' AND pg_has_role('gnomon_app', r.oid, 'MEMBER') AND (r.rolbypassrls OR r.rolsuper)`,
    );
    expect(inherited.rows).toEqual([]);
    expect(
      (
        await su.query(
          `SELECT schemaname, tablename FROM pg_tables WHERE tableowner = 'gnomon_app'`,
        )
      ).rows,
    ).toEqual([]);
    expect(
      (await su.query(`SELECT relname FROM pg_class WHERE relowner = 'gnomon_app'::regrole`)).rows,
    ).toEqual([]);
    expect(
      (await su.query(`SELECT proname FROM pg_proc WHERE proowner = 'gnomon_app'::regrole`)).rows,
    ).toEqual([]);
    const rls = await su.query<{ relname: string; relrowsecurity: boolean; policies: string }>(
      `SELECT c.relname, c.relrowsecurity, (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c WHERE c.relname = ANY($1) ORDER BY c.relname`,
      [['tenants', ...TABLES]],
    );
    expect(rls.rows).toEqual(
      ['tenants', ...TABLES]
        .sort()
        .map((relname) => ({ relname, relrowsecurity: true, policies: '1' })),
    );
    expect(await sqlStateOutsideTx(`DELETE FROM tenants`)).toBe('42501 denied');
  });

  it('(e) audit_logs is append-only for gnomon_app', async () => {
    const [a] = await seedTenants();
    const before = await snapshot(a.id);
    await inTenant(a.id, async () => {
      const entry = insertRow('audit_logs', a.id, `appended-${randomBytes(3).toString('hex')}`);
      expect(await sqlState(app, entry.text, entry.values)).toBe('ok');
      expect(await count(app, 'SELECT 1 FROM audit_logs')).toBe(2);
      expect(
        await sqlState(app, `UPDATE audit_logs SET action = 'rewritten' WHERE id = $1`, [
          a.rows.audit_logs,
        ]),
      ).toBe('42501 denied');
      expect(await sqlState(app, `DELETE FROM audit_logs WHERE id = $1`, [a.rows.audit_logs])).toBe(
        '42501 denied',
      );
      expect(await sqlState(app, `TRUNCATE audit_logs`)).toBe('42501 denied');
    });
    const after = await snapshot(a.id);
    expect(after.audit_logs).toEqual(expect.arrayContaining(before.audit_logs ?? []));
    expect(after.audit_logs).toHaveLength(2);
  });

  it('(e) tool_versions are immutable for gnomon_app, and tools are never deleted', async () => {
    const [a] = await seedTenants();
    const before = await snapshot(a.id);
    await inTenant(a.id, async () => {
      const next = insertRow('tool_versions', a.id, 'v2', true);
      expect(await sqlState(app, next.text, next.values)).toBe('ok');
      expect(await count(app, 'SELECT 1 FROM tool_versions')).toBe(2);
      const again = insertRow('tool_versions', a.id, 'v2-again', true);
      expect(await sqlState(app, again.text, again.values)).toBe('23505'); // (tool_id, version)
      const id = a.rows.tool_versions;
      for (const statement of [
        `UPDATE tool_versions SET source = 'rewritten' WHERE id = $1`,
        `DELETE FROM tool_versions WHERE id = $1`,
      ]) {
        expect({ statement, state: await sqlState(app, statement, [id]) }).toEqual({
          statement,
          state: '42501 denied',
        });
      }
      expect(await sqlState(app, `TRUNCATE tool_versions`)).toBe('42501 denied');
      expect(await sqlState(app, `DELETE FROM tools WHERE id = $1`, [a.rows.tools])).toBe(
        '42501 denied',
      );
      expect(
        await sqlState(app, `UPDATE tools SET kind = 'ruby' WHERE id = $1`, [a.rows.tools]),
      ).toBe('23514'); // the kind CHECK constraint
    });
    const after = await snapshot(a.id);
    expect(after.tool_versions).toEqual(expect.arrayContaining(before.tool_versions ?? []));
    expect(after.tool_versions).toHaveLength(2);
    expect(after.tools).toEqual(before.tools);
  });

  it('(f) gnomon_find_api_key answers for exactly one secret hash', async () => {
    const [a, b] = await seedTenants();
    const find = async (hash: string | null) =>
      (
        await app.query<{
          id: string;
          tenant_id: string;
          tenant_status: string;
          member_id: string | null;
        }>(`SELECT * FROM gnomon_find_api_key($1)`, [hash])
      ).rows;
    const found = await find(a.secretHash);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      id: a.rows.api_keys,
      tenant_id: a.id,
      tenant_status: 'ACTIVE',
      scopes: ['runs:write'],
    });
    expect((await find(b.secretHash)).map((r) => r.id)).toEqual([b.rows.api_keys]);
    for (const probe of [
      '%',
      'hash-%',
      a.secretHash.slice(0, -1),
      `${a.secretHash} `,
      a.secretHash.toUpperCase(),
      '',
      null,
    ]) {
      expect({ probe, rows: await find(probe) }).toEqual({ probe, rows: [] });
    }
    // The definer function is the only door: the table itself stays closed without a context.
    expect(await count(app, 'SELECT 1 FROM api_keys')).toBe(0);
  });
});

describe('sign-in lookups before the tenant is known (definer functions)', () => {
  it('(g) gnomon_find_session answers for exactly one session hash, member or platform admin', async () => {
    const [a] = await seedTenants();
    const find = async (hash: string | null) =>
      (await app.query(`SELECT * FROM gnomon_find_session($1)`, [hash])).rows;
    const [member] = await find(`session-${a.secretHash.slice('hash-'.length)}`);
    expect(member).toMatchObject({
      id: a.rows.sessions,
      tenant_id: a.id,
      principal_type: 'MEMBER',
      member_id: a.rows.members,
      member_role: 'ADMIN',
      tenant_status: 'ACTIVE',
    });
    const keyId = randomUUID();
    await su.query(
      `INSERT INTO platform_keys (id, name, secret_hash, last_four) VALUES ($1, $2, $3, 'abcd')`,
      [keyId, `rls-${keyId}`, `platform-${keyId}`],
    );
    const platformSession = randomUUID();
    await su.query(
      `INSERT INTO sessions (id, principal_type, platform_key_id, secret_hash, method, last_seen_at, idle_expires_at, expires_at)
       VALUES ($1, 'PLATFORM_ADMIN', $2, $3, 'ADMIN_KEY', now(), now() + interval '1 hour', now() + interval '1 hour')`,
      [platformSession, keyId, `platform-session-${keyId}`],
    );
    expect(await find(`platform-session-${keyId}`)).toEqual([
      expect.objectContaining({ id: platformSession, tenant_id: null, platform_key_id: keyId }),
    ]);
    for (const probe of ['%', 'session-%', `${member.id}`, '', null])
      expect({ probe, rows: await find(probe) }).toEqual({ probe, rows: [] });
    // The table itself: a platform-admin session is visible to platform transactions only.
    expect(await count(app, 'SELECT 1 FROM sessions')).toBe(0);
    expect(
      await inTenant(a.id, () => count(app, 'SELECT 1 FROM sessions WHERE tenant_id IS NULL')),
    ).toBe(0);
    await app.query('BEGIN');
    try {
      await app.query(`SELECT set_config('app.platform', 'on', true)`);
      expect(await count(app, 'SELECT 1 FROM sessions WHERE id = $1', [platformSession])).toBe(1);
      expect(await count(app, 'SELECT 1 FROM sessions WHERE tenant_id IS NOT NULL')).toBe(0);
    } finally {
      await app.query('ROLLBACK');
      await su.query('DELETE FROM platform_keys WHERE id = $1', [keyId]); // and its session
    }
  });

  it('(g) gnomon_find_sign_in_members answers for one email, in active tenants only', async () => {
    const [a, b] = await seedTenants();
    const email = `shared-${randomBytes(4).toString('hex')}@example.test`;
    for (const tenant of [a, b])
      await su.query(
        `INSERT INTO members (tenant_id, email, name, role, password_hash) VALUES ($1, $2, 'S', 'VIEWER', 'phc')`,
        [tenant.id, email],
      );
    const find = async (probe: string | null) =>
      (await app.query(`SELECT * FROM gnomon_find_sign_in_members($1)`, [probe])).rows;
    expect((await find(email)).map((row) => row.tenant_id).sort()).toEqual([a.id, b.id].sort());
    await su.query(`UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1`, [b.id]);
    expect((await find(email)).map((row) => row.tenant_id)).toEqual([a.id]);
    for (const probe of ['%', email.toUpperCase(), `${email} `, '', null])
      expect({ probe, rows: await find(probe) }).toEqual({ probe, rows: [] });
  });

  it('(g) gnomon_find_member_link answers for exactly one token hash', async () => {
    const [a] = await seedTenants();
    const hash = `link-${a.secretHash.slice('hash-'.length)}`;
    const find = async (probe: string | null) =>
      (await app.query(`SELECT * FROM gnomon_find_member_link($1)`, [probe])).rows;
    expect(await find(hash)).toEqual([
      expect.objectContaining({ id: a.rows.member_links, tenant_id: a.id, purpose: 'INVITATION' }),
    ]);
    for (const probe of ['%', 'link-%', hash.slice(0, -1), '', null])
      expect({ probe, rows: await find(probe) }).toEqual({ probe, rows: [] });
    expect(await count(app, 'SELECT 1 FROM member_links')).toBe(0);
  });
});

async function sqlStateOutsideTx(text: string): Promise<string> {
  await app.query('BEGIN');
  try {
    return await sqlState(app, text);
  } finally {
    await app.query('ROLLBACK');
  }
}
