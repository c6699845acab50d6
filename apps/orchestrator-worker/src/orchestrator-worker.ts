import { createServer, type Server } from 'node:http';
import {
  StepQueueConsumer,
  awsServiceSettings,
  createS3Client,
  createSfnClient,
  createSqsClient,
} from '@gnomon/aws';
import { StepMessage } from '@gnomon/contracts';
import { TenantDatabase, connectDatabase, type DatabaseConnection } from '@gnomon/db';
import { MetricsRegistry } from '@gnomon/observability';
import { StepFunctionsWorkflowEngine, type WorkflowEngine } from '@gnomon/workflow';
import type { Logger } from 'pino';
import { GatewayClient } from './clients/gateway.client';
import { ToolRuntimeClient } from './clients/tool-runtime.client';
import type { WorkerEnv } from './config/worker.config';
import { ApprovalSteps } from './steps/approval-steps';
import { LlmStepRunner } from './steps/llm-step';
import { OutputStore } from './steps/output-store';
import { RunFinalizer } from './steps/run-finalizer';
import { StepExecutor } from './steps/step-executor';
import { StepMessageHandler } from './steps/step-message.handler';
import { StepSupervisor } from './steps/step-supervisor';
import { TokenAnswers } from './steps/token-answers';
import { ToolInvoker } from './steps/tool-invoker';
import { ToolStepRunner } from './steps/tool-step';

export interface OrchestratorWorker {
  /** Address of the health/metrics server. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The orchestrator worker: consumes step messages from SQS (per-tenant fair, visibility
 * extended while a step runs) and executes them against Postgres, the LLM gateway and the tool
 * runtime, answering Step Functions with the task token. No API: health and metrics only.
 */
export async function startOrchestratorWorker(
  env: WorkerEnv,
  serviceToken: string,
  logger: Logger,
  overrides: { engine?: WorkflowEngine } = {},
): Promise<OrchestratorWorker> {
  const connection: DatabaseConnection = connectDatabase({
    databaseUrl: env.DATABASE_URL,
    maxConnections: Math.min(20, env.WORKER_CONCURRENCY * 2 + 2),
    applicationName: 'gnomon-orchestrator-worker',
  });
  const db = new TenantDatabase(connection);
  const engine =
    overrides.engine ??
    new StepFunctionsWorkflowEngine(
      createSfnClient(awsServiceSettings(env, 'SFN')),
      env.GNOMON_STATE_MACHINE_ARN,
    );
  const answers = new TokenAnswers(engine, logger);
  const tools = new ToolInvoker(
    db,
    new ToolRuntimeClient(env.GNOMON_TOOL_RUNTIME_URL, serviceToken),
  );
  const supervisor = new StepSupervisor(db, engine, {
    heartbeatMs: env.WORKER_HEARTBEAT_SECONDS * 1000,
    cancelPollMs: env.WORKER_CANCEL_POLL_MS,
  });
  const outputs = new OutputStore(
    createS3Client(awsServiceSettings(env, 'S3')),
    env.GNOMON_ARTIFACT_BUCKET,
  );
  const approvals = new ApprovalSteps(db, answers, outputs);
  const executor = new StepExecutor(
    db,
    answers,
    supervisor,
    new LlmStepRunner(db, new GatewayClient(env.GNOMON_LLM_GATEWAY_URL, serviceToken), tools),
    new ToolStepRunner(tools),
    approvals,
    outputs,
    logger,
    {
      leaseSeconds: env.WORKER_VISIBILITY_TIMEOUT_SECONDS,
      heartbeatMs: env.WORKER_HEARTBEAT_SECONDS * 1000,
    },
  );
  const handler = new StepMessageHandler(
    executor,
    approvals,
    new RunFinalizer(db, answers),
    logger,
  );
  const consumer = new StepQueueConsumer<StepMessage>({
    sqs: createSqsClient(awsServiceSettings(env, 'SQS')),
    queueUrl: env.GNOMON_STEP_QUEUE_URL,
    schema: StepMessage,
    fairnessKey: (body) => body.tenantId,
    handler: (message) => handler.handle(message),
    logger,
    concurrency: env.WORKER_CONCURRENCY,
    perKeyConcurrency: env.WORKER_CONCURRENCY_PER_TENANT,
    waitTimeSeconds: env.WORKER_WAIT_TIME_SECONDS,
    visibilityTimeoutSeconds: env.WORKER_VISIBILITY_TIMEOUT_SECONDS,
  });
  consumer.start();

  const metrics = new MetricsRegistry('orchestrator-worker');
  const server = await listen(env, metrics, async () => {
    await connection.prisma.$queryRaw`SELECT 1`;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  logger.info({ port, queueUrl: env.GNOMON_STEP_QUEUE_URL }, 'orchestrator worker started');
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await consumer.stop({ drainMs: env.WORKER_DRAIN_MS });
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    },
  };
}

function listen(
  env: WorkerEnv,
  metrics: MetricsRegistry,
  ready: () => Promise<void>,
): Promise<Server> {
  const server = createServer((request, response) => {
    const send = (status: number, body: string, type = 'application/json') => {
      response.writeHead(status, { 'content-type': type }).end(body);
    };
    if (request.url === '/healthz') return send(200, '{"status":"ok"}');
    if (request.url === '/readyz') {
      ready().then(
        () => send(200, '{"status":"ready"}'),
        () => send(503, '{"status":"unavailable","database":"unreachable"}'),
      );
      return;
    }
    if (request.url === '/metrics') {
      void metrics.render().then((text) => send(200, text, metrics.contentType));
      return;
    }
    send(404, '{"status":404}');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.PORT, env.HOST, () => resolve(server));
  });
}
