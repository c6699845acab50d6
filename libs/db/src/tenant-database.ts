import type { Pool, PoolClient } from 'pg';
import type { Prisma, PrismaClient } from './generated/prisma/client';
import { APP_DB_ROLE, type DatabaseConnection } from './prisma-client';

/**
 * Proof that code is acting inside one tenant. Tenant-owned repositories take a TenantTx,
 * which only `inTenant` hands out, so forgetting the tenant is a compile error; the database
 * enforces the same boundary with Row-Level Security.
 */
export interface TenantScope {
  readonly tenantId: string;
  readonly __brand: 'TenantScope';
}

export function tenantScope(tenantId: string): TenantScope {
  return Object.freeze({ tenantId, __brand: 'TenantScope' as const });
}

export type Tx = Prisma.TransactionClient;

/** A transaction acting inside one tenant. */
export interface TenantTx {
  readonly db: Tx;
  readonly scope: TenantScope;
}

/**
 * Hand-written SQL inside one tenant's transaction (RLS applies). Obtained from
 * `TenantDatabase.sqlInTenant` (plain pg) or `sqlSessionOf` (inside a Prisma `inTenant`), so
 * the same statements serve the hot path and the rare paths that already hold a TenantTx.
 * Statements cast what they return to plain JSON types (ids and bigints as text).
 */
export interface SqlSession {
  readonly scope: TenantScope;
  query<R>(text: string, params?: unknown[]): Promise<R[]>;
}

/** The SqlSession of a Prisma tenant transaction. */
export function sqlSessionOf(t: TenantTx): SqlSession {
  return {
    scope: t.scope,
    query: <R>(text: string, params: unknown[] = []) => t.db.$queryRawUnsafe<R[]>(text, ...params),
  };
}

/** A platform-operator transaction; `actAs` moves it into one tenant (same transaction). */
export interface PlatformTx {
  readonly db: Tx;
  actAs(tenantId: string): Promise<TenantTx>;
}

const TX_OPTIONS = { maxWait: 5_000, timeout: 15_000 } as const;

async function setContext(db: Tx, tenantId: string, platform: boolean): Promise<void> {
  await db.$executeRaw`select set_config('role', ${APP_DB_ROLE}, true),
    set_config('app.tenant_id', ${tenantId}, true),
    set_config('app.platform', ${platform ? 'on' : 'off'}, true)`;
}

/**
 * Runs work as the application role with a transaction-local context. Nothing here is
 * session state: a pooled connection never carries one request's tenant into the next.
 */
export class TenantDatabase {
  private readonly prisma: PrismaClient;
  private readonly pool: Pool;

  constructor(connection: DatabaseConnection) {
    this.prisma = connection.prisma;
    this.pool = connection.pool;
  }

  /**
   * One parameterized statement inside one tenant, on a plain pg connection with the same
   * transaction-local context as `inTenant`. For bulk writes in serving processes (the gateway's
   * usage events), where Prisma's interactive-transaction machinery costs far more CPU than the
   * statement itself. Returns the affected row count.
   */
  async executeInTenant(scope: TenantScope, sql: string, params: unknown[]): Promise<number> {
    return this.sqlInTenant(
      scope,
      async ({ client }) => (await client.query(sql, params)).rowCount ?? 0,
    );
  }

  /**
   * A plain-pg transaction inside one tenant (same transaction-local context and RLS as
   * `inTenant`): for hot paths that run a few hand-written statements per unit of work, where
   * each Prisma interactive transaction costs several times the statements themselves.
   */
  async sqlInTenant<T>(
    scope: TenantScope,
    work: (session: SqlSession & { client: PoolClient }) => Promise<T>,
  ): Promise<T> {
    const client = await this.pool.connect();
    try {
      // One round trip: a simple-protocol query may carry both statements (values escaped).
      await client.query(
        `begin; select set_config('role', ${client.escapeLiteral(APP_DB_ROLE)}, true),
          set_config('app.tenant_id', ${client.escapeLiteral(scope.tenantId)}, true),
          set_config('app.platform', 'off', true)`,
      );
      const result = await work({
        scope,
        client,
        query: async <R>(text: string, params: unknown[] = []) =>
          (await client.query(text, params)).rows as R[],
      });
      await client.query('commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Work inside one tenant: RLS shows and accepts only that tenant's rows. */
  inTenant<T>(scope: TenantScope, work: (t: TenantTx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(async (db) => {
      await setContext(db, scope.tenantId, false);
      return work({ db, scope });
    }, TX_OPTIONS);
  }

  /** Platform-operator work (the tenant registry). Tenant-owned tables stay invisible here. */
  asPlatform<T>(work: (t: PlatformTx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(async (db) => {
      await setContext(db, '', true);
      return work({
        db,
        async actAs(tenantId: string) {
          await setContext(db, tenantId, true);
          return { db, scope: tenantScope(tenantId) };
        },
      });
    }, TX_OPTIONS);
  }

  /** Work with no tenant context, e.g. credential lookup through definer functions. */
  anonymous<T>(work: (db: Tx) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(async (db) => {
      await setContext(db, '', false);
      return work(db);
    }, TX_OPTIONS);
  }
}
