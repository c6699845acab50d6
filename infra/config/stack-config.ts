import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';

/**
 * One stack's settings, read from `Pulumi.<stack>.yaml` (namespace `gnomon:`) and validated
 * before any resource is declared, so a typo fails `pulumi preview` with the key's name.
 */

const ServiceSize = z.strictObject({
  /** Fargate CPU units (256 = 0.25 vCPU) and memory in MiB; must be a valid Fargate pair. */
  cpu: z.number().int().min(256).max(16_384),
  memory: z.number().int().min(512).max(122_880),
  minTasks: z.number().int().min(1).max(100),
  maxTasks: z.number().int().min(1).max(200),
  /** Connections each task opens to Postgres (DATABASE_POOL_SIZE). */
  dbPoolSize: z.number().int().min(1).max(200).default(10),
});
export type ServiceSize = z.infer<typeof ServiceSize>;

const WorkerSize = ServiceSize.extend({
  concurrency: z.number().int().min(1).max(256),
  concurrencyPerTenant: z.number().int().min(1).max(256),
  /** Per-receive SQS visibility (the claim a running step renews on every heartbeat). */
  visibilityTimeoutSeconds: z.number().int().min(30).max(43_200),
});

const ToolRuntimeSize = ServiceSize.extend({
  maxConcurrency: z.number().int().min(1).max(256),
});

const Network = z.strictObject({
  cidr: z.string().regex(/^10\.\d{1,3}\.0\.0\/16$/, 'must be a 10.x.0.0/16 block'),
  azCount: z.number().int().min(2).max(3),
  /** `single`: one NAT gateway for the VPC (cheap, one AZ); `perAz`: one per AZ (HA). */
  natGateways: z.enum(['single', 'perAz']),
  /**
   * Whether the tool runtime's sandbox subnets route to the internet through NAT (needed by
   * HTTP tools and `fetch` in sandboxed code; the runtime's own egress policy still applies).
   */
  toolRuntimeInternetEgress: z.boolean(),
});

const Database = z.strictObject({
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/),
  engineVersion: z.string().regex(/^1[5-8](\.\d+)?$/),
  allocatedStorageGb: z.number().int().min(20).max(65_536),
  maxAllocatedStorageGb: z.number().int().min(20).max(65_536),
  multiAz: z.boolean(),
  /** Days of automated backups; point-in-time recovery covers the same window (1–35). */
  backupRetentionDays: z.number().int().min(1).max(35),
  deletionProtection: z.boolean(),
  performanceInsights: z.boolean(),
});

const Cache = z.strictObject({
  nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/),
  engineVersion: z.string().regex(/^7\.\d+$/),
  /** Read replicas besides the primary; ≥ 1 turns on automatic failover and Multi-AZ. */
  replicas: z.number().int().min(0).max(5),
  snapshotRetentionDays: z.number().int().min(0).max(35),
});

const Domain = z.strictObject({
  /** Route 53 public hosted zone that holds the records below. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,32}$/),
  /** ACM certificate (same region) covering both host names. */
  certificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/),
  apiHost: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/),
  gatewayHost: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/),
});

const Autoscaling = z.strictObject({
  cpuTargetPercent: z.number().int().min(10).max(90),
  requestsPerTarget: z.number().int().min(10).max(100_000),
  /** Visible step messages per worker task the worker service scales to. */
  backlogPerTask: z.number().int().min(1).max(10_000),
});

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

const StackSettings = z
  .strictObject({
    domain: Domain,
    network: Network,
    database: Database,
    cache: Cache,
    services: z.strictObject({
      controlPlane: ServiceSize,
      llmGateway: ServiceSize,
      worker: WorkerSize,
      toolRuntime: ToolRuntimeSize,
    }),
    autoscaling: Autoscaling,
    /** Receives before a step message moves to the dead-letter queue. */
    maxReceiveCount: z.number().int().min(1).max(1_000),
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => LOG_RETENTION_DAYS.includes(days), {
        message: `must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')}`,
      }),
    /** Current artifacts and offloaded outputs expire after this many days; null keeps them. */
    artifactExpirationDays: z.number().int().min(1).nullable(),
    stateMachineLogLevel: z.enum(['ALL', 'ERROR', 'FATAL']),
    cpuArchitecture: z.enum(['X86_64', 'ARM64']),
    /** Retain data on `pulumi destroy`, ALB deletion protection, 30-day secret recovery. */
    protectData: z.boolean(),
    alarmEmail: z.email().optional(),
    /** Dashboard sign-in through an OpenID Connect issuer (secret: gnomon:oidcClientSecret). */
    oidc: z
      .strictObject({ issuer: z.url({ protocol: /^https$/ }), clientId: z.string().min(1) })
      .optional(),
    metricsAgentImage: z.string().min(1),
  })
  .refine((s) => s.database.maxAllocatedStorageGb >= s.database.allocatedStorageGb, {
    path: ['database', 'maxAllocatedStorageGb'],
    message: 'must be at least allocatedStorageGb',
  })
  .refine((s) => Object.values(s.services).every((size) => size.maxTasks >= size.minTasks), {
    path: ['services'],
    message: 'maxTasks must be at least minTasks for every service',
  });
export type StackSettings = z.infer<typeof StackSettings>;

/** Secrets: `pulumi config set --secret gnomon:<key>`; never in the committed stack files. */
export const REQUIRED_SECRET_KEYS = [
  'adminKey',
  'serviceToken',
  'apiKeyPepper',
  'cursorSecret',
  'encryptionKey',
  'databaseOwnerPassword',
  'databaseAppPassword',
  'redisAuthToken',
] as const;
/**
 * Optional secrets, by config key → the variable they are injected as. A provider without a key
 * is simply not offered; the OIDC client secret goes with `gnomon:oidc`.
 */
export const OPTIONAL_SECRETS = {
  openaiApiKey: 'OPENAI_API_KEY',
  anthropicApiKey: 'ANTHROPIC_API_KEY',
  geminiApiKey: 'GEMINI_API_KEY',
  oidcClientSecret: 'GNOMON_OIDC_CLIENT_SECRET',
} as const;
export const PROVIDER_KEY_ENVS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY'] as const;

export type RequiredSecretKey = (typeof REQUIRED_SECRET_KEYS)[number];
export type OptionalSecretEnv = (typeof OPTIONAL_SECRETS)[keyof typeof OPTIONAL_SECRETS];

export interface StackSecrets {
  values: Record<RequiredSecretKey, pulumi.Output<string>>;
  optional: Partial<Record<OptionalSecretEnv, pulumi.Output<string>>>;
}

export interface StackConfig extends StackSettings {
  stack: string;
  project: string;
  region: string;
  /** Prefix of every physical name: `gnomon-<stack>`. */
  namePrefix: string;
}

const SETTING_KEYS = Object.keys(StackSettings.shape) as (keyof StackSettings)[];

/** Parses raw settings (from Pulumi config or a test); throws one message naming every bad key. */
export function parseStackSettings(raw: Record<string, unknown>): StackSettings {
  const result = StackSettings.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  gnomon:${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid stack configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}

/** Pulumi hands objects, numbers and booleans over as JSON text and plain strings as they are. */
function structuredValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config();
  const raw: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    const value = config.get(key);
    if (value !== undefined) raw[key] = structuredValue(value);
  }
  const stack = pulumi.getStack();
  return {
    ...parseStackSettings(raw),
    stack,
    project: pulumi.getProject(),
    region: new pulumi.Config('aws').require('region'),
    namePrefix: `gnomon-${stack}`,
  };
}

/** Redis AUTH tokens: 16–128 printable ASCII characters without `@`, `"` or `/`. */
const REDIS_TOKEN = /^[!#-.0-?A-~]{16,128}$/;

function checked(key: RequiredSecretKey, value: pulumi.Output<string>): pulumi.Output<string> {
  return value.apply((text) => {
    // The message names the key only: a secret never reaches the deployment log.
    if (text.trim().length < 16) throw new Error(`gnomon:${key} must be at least 16 characters`);
    if (key === 'redisAuthToken' && !REDIS_TOKEN.test(text))
      throw new Error('gnomon:redisAuthToken must be 16-128 printable characters without @ " /');
    return text;
  });
}

export function loadStackSecrets(): StackSecrets {
  const config = new pulumi.Config();
  const values = {} as Record<RequiredSecretKey, pulumi.Output<string>>;
  for (const key of REQUIRED_SECRET_KEYS) values[key] = checked(key, config.requireSecret(key));
  const optional: StackSecrets['optional'] = {};
  for (const [key, env] of Object.entries(OPTIONAL_SECRETS) as [string, OptionalSecretEnv][]) {
    const value = config.getSecret(key);
    if (value !== undefined) optional[env] = value;
  }
  return { values, optional };
}
