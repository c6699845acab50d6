import path from 'node:path';
import { workloadEnvironments, type WorkloadEnvironment } from './app-environments';

/**
 * The contract between infra and the apps: every variable a task receives is one the app reads,
 * and the whole set passes the app's own start-up validation. The apps' config modules are
 * loaded by path: infra does not depend on apps (module boundaries); only this test looks.
 */
interface AppConfig {
  schema: string;
  parse: string;
  file: string;
}
const APPS: Record<string, AppConfig> = {
  'control-plane': {
    file: 'apps/control-plane/src/config/control-plane.config.ts',
    schema: 'ControlPlaneEnv',
    parse: 'parseControlPlaneEnv',
  },
  'llm-gateway': {
    file: 'apps/llm-gateway/src/config/gateway.config.ts',
    schema: 'GatewayEnv',
    parse: 'parseGatewayEnv',
  },
  'orchestrator-worker': {
    file: 'apps/orchestrator-worker/src/config/worker.config.ts',
    schema: 'WorkerEnv',
    parse: 'parseWorkerEnv',
  },
  'tool-runtime': {
    file: 'apps/tool-runtime/src/config/tool-runtime.config.ts',
    schema: 'ToolRuntimeEnv',
    parse: 'parseToolRuntimeEnv',
  },
};

/** Plausible values for the secrets (the real ones come from Secrets Manager). */
const SECRET_VALUES: Record<string, string> = {
  DATABASE_URL: 'postgresql://gnomon_service:pw@db.internal:5432/gnomon?sslmode=verify-full',
  REDIS_URL: 'rediss://:token@cache.internal:6379',
  GNOMON_ADMIN_KEY: 'an-operator-chosen-admin-key',
  GNOMON_SERVICE_TOKEN: 'service-token-0123456789',
  GNOMON_API_KEY_PEPPER: 'api-key-pepper-0123456789',
  GNOMON_CURSOR_SECRET: 'cursor-secret-0123456789',
  GNOMON_ENCRYPTION_KEY: 'encryption-key-0123456789',
  OPENAI_API_KEY: 'sk-test',
  ANTHROPIC_API_KEY: 'sk-ant-test',
  GEMINI_API_KEY: 'gemini-test',
  GNOMON_OIDC_CLIENT_SECRET: 'oidc-client-secret',
};

const environments = workloadEnvironments(
  {
    region: 'eu-west-1',
    stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:gnomon-dev-runs',
    stepQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/gnomon-dev-steps',
    artifactBucket: 'gnomon-dev-artifacts-123456789012',
    llmGatewayUrl: 'http://llm-gateway.dev.gnomon.internal:8081',
    toolRuntimeUrl: 'http://tool-runtime.dev.gnomon.internal:8082',
    apiUrl: 'https://api.dev.gnomon.example.com',
  },
  {
    dbPoolSize: { 'control-plane': 7, 'llm-gateway': 9 },
    worker: { concurrency: 6, concurrencyPerTenant: 3, visibilityTimeoutSeconds: 60 },
    toolRuntime: { maxConcurrency: 4 },
    optionalSecrets: ['OPENAI_API_KEY', 'GEMINI_API_KEY', 'GNOMON_OIDC_CLIENT_SECRET'],
    oidc: { issuer: 'https://auth.example.com/pool', clientId: 'gnomon-dashboard' },
  },
);

function processEnv(workload: WorkloadEnvironment): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(workload.environment)) {
    // This test passes plain strings for every address, so every value is one.
    if (typeof value !== 'string') throw new Error(`${name} is not a plain string`);
    env[name] = value;
  }
  for (const [name, secret] of Object.entries(workload.secrets)) env[name] = SECRET_VALUES[secret];
  return env;
}

describe('what each app is told', () => {
  it.each(Object.keys(APPS))('%s: only variables it reads, valid for its schema', (app) => {
    const config = APPS[app];
    const module = jest.requireActual<Record<string, unknown>>(
      path.resolve(__dirname, '../..', config.file),
    );
    const schema = module[config.schema] as { shape: Record<string, unknown> };
    const parse = module[config.parse] as (env: Record<string, string>) => Record<string, unknown>;
    const env = processEnv(environments[app as keyof typeof environments]);
    expect(Object.keys(env).filter((name) => !(name in schema.shape))).toEqual([]);
    expect(() => parse(env)).not.toThrow();
  });

  it('gives the worker what it needs to find the queue, the machine and the other services', () => {
    const worker = parseWorker(processEnv(environments['orchestrator-worker']));
    expect(worker).toMatchObject({
      AWS_REGION: 'eu-west-1',
      GNOMON_STEP_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/gnomon-dev-steps',
      GNOMON_LLM_GATEWAY_URL: 'http://llm-gateway.dev.gnomon.internal:8081',
      GNOMON_TOOL_RUNTIME_URL: 'http://tool-runtime.dev.gnomon.internal:8082',
      WORKER_CONCURRENCY: 6,
      WORKER_VISIBILITY_TIMEOUT_SECONDS: 60,
      PORT: 8083,
    });
  });

  it('wires optional secrets only where they belong', () => {
    expect(Object.keys(environments['llm-gateway'].secrets)).toEqual(
      expect.arrayContaining(['OPENAI_API_KEY', 'GEMINI_API_KEY']),
    );
    expect(environments['llm-gateway'].secrets).not.toHaveProperty('ANTHROPIC_API_KEY');
    expect(environments['control-plane'].secrets).toHaveProperty('GNOMON_OIDC_CLIENT_SECRET');
    expect(environments['control-plane'].environment).toMatchObject({
      GNOMON_OIDC_REDIRECT_URI: 'https://api.dev.gnomon.example.com/api/v1/auth/oidc/callback',
    });
    expect(environments.migration.secrets).toEqual({
      DATABASE_URL: 'DATABASE_OWNER_URL',
      APP_DB_PASSWORD: 'DATABASE_APP_PASSWORD',
    });
  });
});

function parseWorker(env: Record<string, string>): Record<string, unknown> {
  const module = jest.requireActual<Record<string, unknown>>(
    path.resolve(__dirname, '../..', APPS['orchestrator-worker'].file),
  );
  return (module.parseWorkerEnv as (e: Record<string, string>) => Record<string, unknown>)(env);
}
