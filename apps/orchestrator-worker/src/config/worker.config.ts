import { AwsEnv } from '@gnomon/aws';
import { z } from 'zod';

const Int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** The orchestrator worker's environment, validated once at start-up. */
export const WorkerEnv = AwsEnv.extend({
  DATABASE_URL: z.string().min(1),
  GNOMON_DATA_DIR: z.string().optional(),
  GNOMON_SERVICE_TOKEN: z.string().min(16).optional(),
  /** The step queue (created by Pulumi in AWS; by `npm start` locally). */
  GNOMON_STEP_QUEUE_URL: z.string().min(1),
  /** The run state machine; with `AWS_ENDPOINT_URL_SFN` it is the local engine's. */
  GNOMON_STATE_MACHINE_ARN: z.string().min(1),
  /** Step outputs above 32 KiB are stored here (under tenants/{tenant}/runs/{run}/). */
  GNOMON_ARTIFACT_BUCKET: z.string().min(3).max(63).default('gnomon-artifacts'),
  GNOMON_LLM_GATEWAY_URL: z.url().default('http://127.0.0.1:8081'),
  GNOMON_TOOL_RUNTIME_URL: z.url().default('http://127.0.0.1:8082'),
  /** Health and metrics only (the worker has no API). */
  PORT: Int(0, 65535).default(8083),
  HOST: z.string().default('0.0.0.0'),
  /** Steps executed at once by this process. */
  WORKER_CONCURRENCY: Int(1, 256).default(8),
  /** Steps of one tenant executed at once (fairness: a burst cannot take every slot). */
  WORKER_CONCURRENCY_PER_TENANT: Int(1, 256).default(4),
  /** SQS visibility timeout; also how long a dead worker's step stays claimed. */
  WORKER_VISIBILITY_TIMEOUT_SECONDS: Int(2, 43_200).default(30),
  WORKER_WAIT_TIME_SECONDS: Int(1, 20).default(20),
  /** How often a running step heartbeats Step Functions and renews its claim. */
  WORKER_HEARTBEAT_SECONDS: Int(1, 50).default(20),
  /** How often a running step checks whether its run was cancelled. */
  WORKER_CANCEL_POLL_MS: Int(100, 60_000).default(1_000),
  /** How long SIGTERM waits for running steps before releasing their messages. */
  WORKER_DRAIN_MS: Int(0, 600_000).default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).refine((env) => env.WORKER_HEARTBEAT_SECONDS < env.WORKER_VISIBILITY_TIMEOUT_SECONDS, {
  path: ['WORKER_HEARTBEAT_SECONDS'],
  message:
    'must be below WORKER_VISIBILITY_TIMEOUT_SECONDS (a running step renews its claim on every heartbeat)',
});
export type WorkerEnv = z.infer<typeof WorkerEnv>;

export function parseWorkerEnv(source: NodeJS.ProcessEnv): WorkerEnv {
  const result = WorkerEnv.safeParse(source);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`invalid orchestrator-worker configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
