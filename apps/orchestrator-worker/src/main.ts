import { resolveDataDir, resolvePlatformSecrets } from '@gnomon/local-runtime';
import { createLogger } from '@gnomon/observability';
import { parseWorkerEnv } from './config/worker.config';
import { startOrchestratorWorker } from './orchestrator-worker';

async function main(): Promise<void> {
  const env = parseWorkerEnv(process.env);
  const secrets = await resolvePlatformSecrets(process.env, resolveDataDir(process.env));
  const logger = createLogger({ service: 'orchestrator-worker', level: env.LOG_LEVEL });
  const worker = await startOrchestratorWorker(env, secrets.serviceToken, logger);
  process.stdout.write(
    `orchestrator-worker running (pid ${process.pid}, health on ${worker.url})\n`,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new messages, releasing unfinished ones');
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `orchestrator-worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
