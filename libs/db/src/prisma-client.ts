import { PrismaPg } from '@prisma/adapter-pg';
import { Pool } from 'pg';
import { PrismaClient } from './generated/prisma/client';

export { Prisma, PrismaClient } from './generated/prisma/client';
export type {
  ApiKey as ApiKeyRow,
  AuditLog as AuditLogRow,
  Member as MemberRow,
  PlatformKey as PlatformKeyRow,
  Tenant as TenantRow,
  Tool as ToolRow,
  ToolVersion as ToolVersionRow,
  Task as TaskRow,
  TaskVersion as TaskVersionRow,
  Run as RunRow,
  Step as StepRow,
  Approval as ApprovalRow,
  RunEvent as RunEventRow,
  ToolEvent as ToolEventRow,
  RunStatus as RunStatusValue,
  StepStatus as StepStatusValue,
  ApprovalStatus as ApprovalStatusValue,
} from './generated/prisma/client';

/** The role every application query runs as: no BYPASSRLS, owns nothing (see ADR 0003). */
export const APP_DB_ROLE = 'gnomon_app';

export interface DatabaseConnectionOptions {
  databaseUrl: string;
  /** Pool size per process. */
  maxConnections?: number;
  applicationName?: string;
}

export interface DatabaseConnection {
  prisma: PrismaClient;
  pool: Pool;
  close(): Promise<void>;
}

export function connectDatabase(options: DatabaseConnectionOptions): DatabaseConnection {
  const pool = new Pool({
    connectionString: options.databaseUrl,
    max: options.maxConnections ?? 10,
    application_name: options.applicationName ?? 'gnomon',
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // A dropped idle connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
