// Embedded Postgres (PGlite over the wire protocol): the project's migrations, the application
// role and Row-Level Security, several concurrent clients, and persistence across restarts.
import { applyMigrations, listMigrations } from '@gnomon/db';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@gnomon/local-runtime';

const FOUNDATION = '20261121000000_foundation';
const TENANT_A = '00000000-0000-4000-8000-00000000000a';
const TENANT_B = '00000000-0000-4000-8000-00000000000b';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('embedded Postgres', () => {
  let root: string;
  let dataDir: string;
  let pg: EmbeddedPostgres;
  const clients: Client[] = [];

  async function connect(): Promise<Client> {
    const client = new Client({ connectionString: pg.url });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  }

  async function closeClients(): Promise<void> {
    await Promise.all(clients.splice(0).map((client) => client.end().catch(() => undefined)));
  }

  async function count(client: Client, table: string): Promise<number> {
    const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`);
    return rows[0].n;
  }

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'gnomon-embedded-pg-'));
    dataDir = path.join(root, 'data');
    pg = await startEmbeddedPostgres({ dataDir, maxConnections: 20 });
  });

  // Connections are capped (maxConnections); every test closes what it opened.
  afterEach(closeClients);

  afterAll(async () => {
    await closeClients();
    await pg?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('serves Postgres on a free localhost port, persisted under <dataDir>/pg', async () => {
    expect(pg.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(pg.port).toBeGreaterThan(0);
    const client = await connect();
    const { rows } = await client.query<{ version: string; user: string }>(
      'select version(), current_user as user',
    );
    expect(rows[0]).toMatchObject({ version: expect.stringContaining('PGlite'), user: 'postgres' });
    expect(await readdir(path.join(dataDir, 'pg'))).toContain('PG_VERSION');
  });

  it('refuses a second instance on the same data dir', async () => {
    await expect(startEmbeddedPostgres({ dataDir })).rejects.toThrow(/already in use/);
  });

  it('applies the project migrations, including the application role', async () => {
    const result = await applyMigrations({ databaseUrl: pg.url });
    expect(result.applied).toContain(FOUNDATION);
    expect(result.skipped).toEqual([]);

    const client = await connect();
    const { rows } = await client.query(
      `select rolsuper, rolbypassrls, rolcanlogin from pg_roles where rolname = 'gnomon_app'`,
    );
    expect(rows).toEqual([{ rolsuper: false, rolbypassrls: false, rolcanlogin: false }]);
  });

  describe('Row-Level Security for gnomon_app', () => {
    let admin: Client;

    beforeAll(async () => {
      admin = new Client({ connectionString: pg.url });
      await admin.connect();
      await admin.query(`insert into tenants (id, name) values ($1, 'A'), ($2, 'B')`, [
        TENANT_A,
        TENANT_B,
      ]);
      await admin.query(
        `insert into members (tenant_id, email, name, role)
         values ($1, 'a@example.com', 'A', 'OWNER'), ($2, 'b@example.com', 'B', 'OWNER')`,
        [TENANT_A, TENANT_B],
      );
    });

    afterEach(async () => {
      // SET ROLE is session state, and every connection shares PGlite's single session.
      await admin.query('reset role');
    });

    afterAll(async () => {
      await admin.end();
    });

    it('SET ROLE gnomon_app with no tenant context sees no rows that postgres inserted', async () => {
      expect(await count(admin, 'members')).toBe(2); // postgres: superuser, bypasses RLS
      const app = await connect();
      await app.query('set role gnomon_app');
      expect((await app.query('select current_user as u')).rows[0]).toEqual({ u: 'gnomon_app' });
      expect(await count(app, 'members')).toBe(0);
      expect(await count(app, 'tenants')).toBe(0);
    });

    it('set_config(..., true) scopes a transaction to one tenant and ends with it', async () => {
      const app = await connect();
      await app.query('set role gnomon_app');
      await app.query('begin');
      await app.query(`select set_config('app.tenant_id', $1, true)`, [TENANT_A]);
      const { rows } = await app.query<{ email: string }>('select email from members');
      expect(rows).toEqual([{ email: 'a@example.com' }]);
      await expect(
        app.query(
          `insert into members (tenant_id, email, name, role) values ($1, 'x@b', 'x', 'MEMBER')`,
          [TENANT_B],
        ),
      ).rejects.toThrow(/row-level security/);
      await app.query('rollback');
      expect(await count(app, 'members')).toBe(0);
    });

    it('a transaction-local role (what TenantDatabase does) applies RLS and ends with the transaction', async () => {
      const client = await connect();
      await client.query('begin');
      await client.query(
        `select set_config('role', 'gnomon_app', true), set_config('app.tenant_id', $1, true)`,
        [TENANT_B],
      );
      expect((await client.query('select current_user as u')).rows[0]).toEqual({ u: 'gnomon_app' });
      expect(await count(client, 'members')).toBe(1);
      await client.query('commit');
      expect((await client.query('select current_user as u')).rows[0]).toEqual({ u: 'postgres' });
    });

    it('the security-definer key lookup works for gnomon_app', async () => {
      const client = await connect();
      await client.query('begin');
      await client.query(`set local role gnomon_app`);
      const { rows } = await client.query('select * from gnomon_find_api_key($1)', ['nope']);
      expect(rows).toEqual([]);
      await client.query('commit');
    });

    it('session state is shared by all connections (PGlite is one session)', async () => {
      const other = await connect();
      await admin.query('set role gnomon_app');
      expect((await other.query('select current_user as u')).rows[0]).toEqual({ u: 'gnomon_app' });
      await admin.query(`select set_config('app.tenant_id', $1, false)`, [TENANT_A]);
      expect(await count(other, 'members')).toBe(1);
      await admin.query(`select set_config('app.tenant_id', '', false)`);
    });
  });

  describe('concurrent clients', () => {
    it('runs an open transaction exclusively: other clients wait until it ends', async () => {
      const a = await connect();
      const b = await connect();
      await a.query('begin');
      await a.query(`select set_config('app.tenant_id', $1, true)`, [TENANT_A]);
      const started = Date.now();
      const fromB = b
        .query<{ t: string }>(`select current_setting('app.tenant_id', true) as t`)
        .then(({ rows }) => ({ tenant: rows[0].t, waited: Date.now() - started }));
      await sleep(300);
      expect((await a.query(`select current_setting('app.tenant_id', true) as t`)).rows[0]).toEqual(
        { t: TENANT_A },
      );
      await a.query('commit');
      const seen = await fromB;
      expect(seen.tenant).toBe(''); // B never ran inside A's transaction
      expect(seen.waited).toBeGreaterThanOrEqual(250);
    });

    it('keeps tenant contexts of concurrent pooled transactions apart', async () => {
      const pool = new Pool({ connectionString: pg.url, max: 8 });
      try {
        const jobs = Array.from({ length: 64 }, async (_, i) => {
          const tenant = i % 2 ? TENANT_A : TENANT_B;
          const client = await pool.connect();
          try {
            await client.query('begin');
            await client.query(
              `select set_config('role', 'gnomon_app', true), set_config('app.tenant_id', $1, true)`,
              [tenant],
            );
            await sleep(i % 3);
            const { rows } = await client.query<{ tenant_id: string; v: number }>(
              'select tenant_id, $1::int as v from members',
              [i],
            );
            await client.query('commit');
            return rows;
          } finally {
            client.release();
          }
        });
        const results = await Promise.all(jobs);
        results.forEach((rows, i) =>
          expect(rows).toEqual([{ tenant_id: i % 2 ? TENANT_A : TENANT_B, v: i }]),
        );
      } finally {
        await pool.end();
      }
    });

    it('answers many concurrent parameterized queries correctly, errors included', async () => {
      const pool = new Pool({ connectionString: pg.url, max: 10 });
      try {
        const results = await Promise.all(
          Array.from({ length: 400 }, async (_, i) => {
            if (i % 7 === 0) {
              const error = await pool.query('select 1 / $1::int', [0]).catch((e: Error) => e);
              return error instanceof Error && /division by zero/.test(error.message);
            }
            const { rows } = await pool.query('select $1::int as v, $2::text as s', [i, `s${i}`]);
            return rows[0].v === i && rows[0].s === `s${i}`;
          }),
        );
        expect(results.every(Boolean)).toBe(true);
      } finally {
        await pool.end();
      }
    });

    it('rolls back the open transaction of a client that disconnects', async () => {
      const a = await connect();
      await a.query('begin');
      await a.query('create table dropped_with_client (x int)');
      await a.end();
      const b = await connect();
      const { rows } = await b.query(`select to_regclass('dropped_with_client') as t`);
      expect(rows).toEqual([{ t: null }]);
    });
  });

  it('refuses connections beyond maxConnections', async () => {
    const small = await startEmbeddedPostgres({
      dataDir: path.join(root, 'small'),
      maxConnections: 2,
    });
    const open: Client[] = [];
    try {
      for (let i = 0; i < 2; i += 1) {
        const client = new Client({ connectionString: small.url });
        await client.connect();
        open.push(client);
      }
      const third = new Client({ connectionString: small.url });
      third.on('error', () => undefined);
      await expect(third.connect()).rejects.toThrow(
        /Connection terminated unexpectedly|ECONNRESET/,
      );
      await open.pop()!.end();
      await sleep(50); // the server frees the slot asynchronously
      const again = new Client({ connectionString: small.url });
      await again.connect();
      open.push(again);
    } finally {
      await Promise.all(open.map((client) => client.end()));
      await small.stop();
    }
  });

  it('keeps data across a restart, and re-applying migrations is a no-op', async () => {
    await closeClients();
    await pg.stop();
    pg = await startEmbeddedPostgres({ dataDir });

    const again = await applyMigrations({ databaseUrl: pg.url });
    expect(again.applied).toEqual([]);
    expect(again.skipped).toContain(FOUNDATION);
    expect(again.skipped).toEqual((await listMigrations()).map((m) => m.name));

    const client = await connect();
    expect(await count(client, 'members')).toBe(2);
    await client.query('set role gnomon_app');
    expect(await count(client, 'members')).toBe(0);
    await client.query('reset role');
  });
});
