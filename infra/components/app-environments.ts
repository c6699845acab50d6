import type * as pulumi from '@pulumi/pulumi';
import { PROVIDER_KEY_ENVS, type OptionalSecretEnv } from '../config/stack-config';
import { DATABASE_APP_LOGIN } from './database';
import type { Workload } from './task-roles';
import type { SecretName } from './secrets';
import { PORTS } from './security-groups';

/**
 * What each workload is told, split into plain settings and secrets, from the apps' own config
 * schemas (apps/<app>/src/config). A secret is referenced by name here and by ARN in the task
 * definition; its value never appears in either.
 */
export interface WorkloadEnvironment {
  environment: Record<string, pulumi.Input<string>>;
  /** Container variable → the platform secret it is read from. */
  secrets: Record<string, SecretName>;
}

export interface PlatformAddresses {
  region: string;
  stateMachineArn: pulumi.Input<string>;
  stepQueueUrl: pulumi.Input<string>;
  artifactBucket: pulumi.Input<string>;
  /** Cloud Map names inside the VPC. */
  llmGatewayUrl: string;
  toolRuntimeUrl: string;
  /** The public API origin (https://api.…), for the OIDC redirect URI. */
  apiUrl: string;
}

export interface WorkloadTuning {
  dbPoolSize: Record<'control-plane' | 'llm-gateway', number>;
  worker: { concurrency: number; concurrencyPerTenant: number; visibilityTimeoutSeconds: number };
  toolRuntime: { maxConcurrency: number };
  /** Optional secrets this stack configures (provider keys, OIDC client secret). */
  optionalSecrets: OptionalSecretEnv[];
  oidc?: { issuer: string; clientId: string };
}

/** Local state the apps may write (generated secrets they do not use, tool scratch dirs). */
const DATA_DIR = '/tmp/gnomon';
/** How often a running step heartbeats Step Functions and renews its SQS claim. */
const WORKER_HEARTBEAT_SECONDS = 20;

const sameName = <T extends SecretName>(...names: T[]) =>
  Object.fromEntries(names.map((n) => [n, n])) as Record<T, T>;

export function workloadEnvironments(
  at: PlatformAddresses,
  tuning: WorkloadTuning,
): Record<Workload, WorkloadEnvironment> {
  const common = { LOG_LEVEL: 'info', GNOMON_DATA_DIR: DATA_DIR };
  // Only the apps that call AWS read a region (the gateway and the migration call none).
  const aws = { AWS_REGION: at.region };
  const configured = (names: readonly OptionalSecretEnv[]) =>
    names.filter((name) => tuning.optionalSecrets.includes(name));
  const oidc: Record<string, string> = tuning.oidc
    ? {
        GNOMON_OIDC_ISSUER: tuning.oidc.issuer,
        GNOMON_OIDC_CLIENT_ID: tuning.oidc.clientId,
        GNOMON_OIDC_REDIRECT_URI: `${at.apiUrl}/api/v1/auth/oidc/callback`,
      }
    : {};
  return {
    'control-plane': {
      environment: {
        ...common,
        ...aws,
        PORT: String(PORTS.controlPlane),
        HOST: '0.0.0.0',
        DATABASE_POOL_SIZE: String(tuning.dbPoolSize['control-plane']),
        // Behind the load balancer: client addresses come from X-Forwarded-For.
        GNOMON_TRUST_PROXY: '1',
        GNOMON_STATE_MACHINE_ARN: at.stateMachineArn,
        // Offloaded step outputs are read back for the API (GET …/steps/{id}/output).
        GNOMON_ARTIFACT_BUCKET: at.artifactBucket,
        ...oidc,
      },
      secrets: sameName(
        'DATABASE_URL',
        'REDIS_URL',
        'GNOMON_ADMIN_KEY',
        'GNOMON_SERVICE_TOKEN',
        'GNOMON_API_KEY_PEPPER',
        'GNOMON_CURSOR_SECRET',
        'GNOMON_ENCRYPTION_KEY',
        ...(tuning.oidc ? configured(['GNOMON_OIDC_CLIENT_SECRET']) : []),
      ),
    },
    'llm-gateway': {
      environment: {
        ...common,
        PORT: String(PORTS.llmGateway),
        HOST: '0.0.0.0',
        DATABASE_POOL_SIZE: String(tuning.dbPoolSize['llm-gateway']),
        GNOMON_TRUST_PROXY: '1',
        GNOMON_SIMULATED_PROVIDER: '0',
      },
      secrets: sameName(
        'DATABASE_URL',
        'REDIS_URL',
        'GNOMON_SERVICE_TOKEN',
        'GNOMON_API_KEY_PEPPER',
        'GNOMON_ENCRYPTION_KEY',
        ...configured(PROVIDER_KEY_ENVS),
      ),
    },
    'orchestrator-worker': {
      environment: {
        ...common,
        ...aws,
        PORT: String(PORTS.workerHealth),
        HOST: '0.0.0.0',
        GNOMON_STEP_QUEUE_URL: at.stepQueueUrl,
        GNOMON_STATE_MACHINE_ARN: at.stateMachineArn,
        GNOMON_ARTIFACT_BUCKET: at.artifactBucket,
        GNOMON_LLM_GATEWAY_URL: at.llmGatewayUrl,
        GNOMON_TOOL_RUNTIME_URL: at.toolRuntimeUrl,
        WORKER_CONCURRENCY: String(tuning.worker.concurrency),
        WORKER_CONCURRENCY_PER_TENANT: String(tuning.worker.concurrencyPerTenant),
        WORKER_VISIBILITY_TIMEOUT_SECONDS: String(tuning.worker.visibilityTimeoutSeconds),
        WORKER_HEARTBEAT_SECONDS: String(WORKER_HEARTBEAT_SECONDS),
        WORKER_DRAIN_MS: '20000',
      },
      secrets: sameName('DATABASE_URL', 'GNOMON_SERVICE_TOKEN'),
    },
    'tool-runtime': {
      environment: {
        ...common,
        ...aws,
        PORT: String(PORTS.toolRuntime),
        HOST: '0.0.0.0',
        GNOMON_ARTIFACT_BUCKET: at.artifactBucket,
        TOOL_MAX_CONCURRENCY: String(tuning.toolRuntime.maxConcurrency),
        TOOL_WORK_DIR: `${DATA_DIR}/tools`,
        // Fargate gives tasks no user namespaces; the container is the outer boundary (docs/tools.md).
        TOOL_BUBBLEWRAP: 'off',
      },
      secrets: sameName('GNOMON_SERVICE_TOKEN'),
    },
    migration: {
      environment: { APP_DB_USER: DATABASE_APP_LOGIN },
      // The migration runs as the owner; it (re)creates the services' login role.
      secrets: { DATABASE_URL: 'DATABASE_OWNER_URL', APP_DB_PASSWORD: 'DATABASE_APP_PASSWORD' },
    },
  };
}
