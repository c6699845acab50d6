// Test-only: boots a real control plane (Fastify + Nest) on a cloned, migrated database and the
// real Redis, and drives it over HTTP with `inject` (no socket needed). Never imported by
// production code.
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestDatabase, redisTestUrl, type TestDatabase } from '@gnomon/testing';
import { createLogger } from '@gnomon/observability';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { parseControlPlaneEnv, type ControlPlaneConfig } from '../config/control-plane.config';
import { createControlPlane } from '../control-plane.factory';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any;
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  tenant?: string;
  remoteAddress?: string;
}

const secret = () => randomBytes(24).toString('base64url');

export class ControlPlaneHarness {
  readonly instances: NestFastifyApplication[] = [];

  private constructor(
    readonly database: TestDatabase,
    readonly config: ControlPlaneConfig,
    readonly adminKey: string,
  ) {}

  /** One database clone per test file; `instances` share it (and Redis), like a deployment. */
  static async start(envOverrides: Record<string, string> = {}): Promise<ControlPlaneHarness> {
    const database = await createTestDatabase();
    const adminKey = `test-admin-${secret()}`;
    const env = parseControlPlaneEnv({
      DATABASE_URL: database.url,
      REDIS_URL: redisTestUrl(),
      GNOMON_ADMIN_KEY: adminKey,
      GNOMON_AUTH_FAILURE_LIMIT: '100000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...envOverrides,
    });
    const config: ControlPlaneConfig = {
      env,
      secrets: {
        serviceToken: secret(),
        apiKeyPepper: secret(),
        cursorSecret: secret(),
        encryptionKey: secret(),
      },
    };
    const harness = new ControlPlaneHarness(database, config, adminKey);
    await harness.addInstance();
    return harness;
  }

  /** Another instance on the same database and Redis; `env` changes its settings only. */
  async addInstance(env: Partial<ControlPlaneConfig['env']> = {}): Promise<NestFastifyApplication> {
    const logger = createLogger({ service: 'control-plane', level: this.config.env.LOG_LEVEL });
    const config = { ...this.config, env: { ...this.config.env, ...env } };
    const app = await createControlPlane(config, { logger });
    await app.getHttpAdapter().getInstance().ready();
    this.instances.push(app);
    return app;
  }

  async request(
    method: string,
    url: string,
    options: RequestOptions = {},
    instance = 0,
  ): Promise<HttpResult> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key) headers.authorization = `Bearer ${options.key}`;
    if (options.tenant) headers['x-gnomon-tenant'] = options.tenant;
    let payload: string | undefined;
    if (options.rawBody !== undefined) payload = options.rawBody;
    else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await this.instances[instance]
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: method as 'GET',
        url,
        headers,
        payload,
        remoteAddress: options.remoteAddress,
      });
    let body: unknown = response.body;
    try {
      body = response.body ? JSON.parse(response.body) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.statusCode, headers: response.headers, body };
  }

  /** Creates a tenant (with an owner) and an owner-level tenant key with every scope. */
  async createTenant(name = `tenant-${randomBytes(4).toString('hex')}`) {
    const tenant = await this.request('POST', '/api/v1/admin/tenants', {
      key: this.adminKey,
      body: { name, owner: { email: `owner@${name}.test`, name: 'Owner' } },
    });
    if (tenant.status !== 201)
      throw new Error(`tenant creation failed: ${JSON.stringify(tenant.body)}`);
    const key = await this.request('POST', '/api/v1/api-keys', {
      key: this.adminKey,
      tenant: tenant.body.id,
      body: {
        name: 'all-scopes',
        scopes: [
          'tasks:read',
          'tasks:write',
          'tools:read',
          'tools:write',
          'runs:read',
          'runs:write',
          'approvals:write',
          'llm:invoke',
          'keys:manage',
          'members:manage',
          'usage:read',
        ],
      },
    });
    if (key.status !== 201) throw new Error(`key creation failed: ${JSON.stringify(key.body)}`);
    return {
      id: tenant.body.id as string,
      key: key.body.secret as string,
      keyId: key.body.id as string,
    };
  }

  /** Raw superuser SQL on the test database, for asserting what was (not) written. */
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
    for (const app of this.instances) await app.close();
    await this.database.drop();
  }
}
