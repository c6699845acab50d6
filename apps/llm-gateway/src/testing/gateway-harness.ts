// Test-only: real gateways (Nest + Fastify, listening on a port so the official SDKs can call
// them) on a cloned, migrated database and the real Redis, under a Redis namespace of their own.
// Never imported by production code.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { generateSecret, SecretHasher } from '@gnomon/auth';
import { createTestDatabase, redisTestUrl, type TestDatabase } from '@gnomon/testing';
import OpenAI from 'openai';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { parseGatewayEnv, type GatewayConfig } from '../config/gateway.config';
import { createGateway } from '../gateway.factory';
import { TenantPolicyCache } from '../platform/tenant-policies';
import { USAGE_EVENT_LOG } from '../platform/state-backend';
import type { UsageEventLog } from '../usage/usage-event-log';

const secret = () => randomBytes(24).toString('base64url');

export interface TestTenant {
  tenantId: string;
  key: string;
  keyId: string;
}

export class GatewayHarness {
  readonly instances: { app: NestFastifyApplication; url: string }[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly config: GatewayConfig,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<GatewayHarness> {
    const database = await createTestDatabase();
    const config: GatewayConfig = {
      env: parseGatewayEnv({
        DATABASE_URL: database.url,
        REDIS_URL: redisTestUrl(),
        GNOMON_REDIS_PREFIX: `test-${randomBytes(6).toString('hex')}`,
        GNOMON_SIMULATED_PROVIDER: '1',
        GNOMON_EVENT_CONSUMER: '0',
        GNOMON_RETRY_BASE_MS: '5',
        GNOMON_RETRY_MAX_MS: '20',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        ...env,
      }),
      secrets: { serviceToken: secret(), apiKeyPepper: secret(), encryptionKey: secret() },
    };
    const harness = new GatewayHarness(database, config);
    await harness.addInstance();
    return harness;
  }

  async addInstance(): Promise<string> {
    const app = await createGateway(this.config);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.getHttpServer().address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    this.instances.push({ app, url });
    return url;
  }

  url(instance = 0): string {
    return this.instances[instance].url;
  }

  /** The official OpenAI SDK pointed at the gateway, unmodified (no retries of its own). */
  client(
    key: string,
    instance = 0,
    options: Partial<ConstructorParameters<typeof OpenAI>[0]> = {},
  ): OpenAI {
    return new OpenAI({
      apiKey: key,
      baseURL: `${this.url(instance)}/v1`,
      maxRetries: 0,
      ...options,
    });
  }

  /** A tenant with one API key (scopes: llm:invoke unless given). */
  async createTenant(scopes = ['llm:invoke']): Promise<TestTenant> {
    const tenantId = randomUUID();
    const keyId = randomUUID();
    const key = generateSecret('tenant');
    const hash = new SecretHasher(this.config.secrets.apiKeyPepper).hash(key);
    await this.sql(`insert into tenants (id, name) values ($1, $2)`, [
      tenantId,
      `t-${tenantId.slice(0, 8)}`,
    ]);
    await this.sql(
      `insert into api_keys (id, tenant_id, name, prefix, last_four, secret_hash, scopes, created_by_type, created_by_id)
       values ($1, $2, 'test', $3, $4, $5, $6, 'SYSTEM', 'test')`,
      [keyId, tenantId, key.slice(0, 12), key.slice(-4), hash, scopes],
    );
    return { tenantId, key, keyId };
  }

  async setRoutes(tenantId: string, config: unknown): Promise<void> {
    await this.sql(
      `insert into llm_route_configs (tenant_id, config, updated_by) values ($1, $2, 'test')
       on conflict (tenant_id) do update set config = excluded.config, version = llm_route_configs.version + 1`,
      [tenantId, JSON.stringify(config)],
    );
    this.forgetPolicies(tenantId);
  }

  async setLimits(
    tenantId: string,
    limits: { rpm?: number; tpm?: number; userRpm?: number },
  ): Promise<void> {
    await this.sql(`delete from rate_limit_policies where tenant_id = $1`, [tenantId]);
    if (limits.rpm || limits.tpm) {
      await this.sql(
        `insert into rate_limit_policies (tenant_id, subject, requests_per_minute, tokens_per_minute) values ($1, 'TENANT', $2, $3)`,
        [tenantId, limits.rpm ?? null, limits.tpm ?? null],
      );
    }
    if (limits.userRpm) {
      await this.sql(
        `insert into rate_limit_policies (tenant_id, subject, requests_per_minute) values ($1, 'USER', $2)`,
        [tenantId, limits.userRpm],
      );
    }
    this.forgetPolicies(tenantId);
  }

  async setBudget(
    tenantId: string,
    limitMicros: number,
    period: 'DAILY' | 'MONTHLY' = 'MONTHLY',
    softThresholdPct = 80,
  ): Promise<void> {
    await this.sql(`delete from budget_policies where tenant_id = $1`, [tenantId]);
    await this.sql(
      `insert into budget_policies (tenant_id, period, limit_micros, soft_threshold_pct) values ($1, $2, $3, $4)`,
      [tenantId, period, limitMicros, softThresholdPct],
    );
    this.forgetPolicies(tenantId);
  }

  /** Moves every usage event from Redis into llm_events now (instead of the background loop). */
  async drainEvents(instance = 0): Promise<number> {
    return this.instances[instance].app.get<UsageEventLog>(USAGE_EVENT_LOG).drain();
  }

  async events(tenantId: string) {
    return this.sql<Record<string, any>>(
      `select * from llm_events where tenant_id = $1 order by created_at`,
      [tenantId],
    );
  }

  async sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.database.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async close(): Promise<void> {
    for (const { app } of this.instances) await app.close();
    await this.database.drop();
  }

  private forgetPolicies(tenantId: string): void {
    for (const { app } of this.instances) app.get(TenantPolicyCache).forget(tenantId);
  }
}
