import 'reflect-metadata';
import { resolveDataDir, resolvePlatformSecrets } from '@gnomon/local-runtime';
import { createLogger } from '@gnomon/observability';
import { parseToolRuntimeEnv } from './config/tool-runtime.config';
import { SandboxRunner } from './sandbox';
import { createToolRuntime } from './tool-runtime.factory';

async function main(): Promise<void> {
  const env = parseToolRuntimeEnv(process.env);
  const secrets = await resolvePlatformSecrets(process.env, resolveDataDir(process.env));
  const logger = createLogger({ service: 'tool-runtime', level: env.LOG_LEVEL });
  const app = await createToolRuntime({ env, serviceToken: secrets.serviceToken }, { logger });
  // Say at start-up which isolation layers this host gives (also on /readyz).
  const sandbox = await app.get(SandboxRunner).capabilities();
  logger.info({ sandbox }, 'sandbox capabilities');
  if (!sandbox.bubblewrap.enabled)
    logger.warn(`bubblewrap layer off: ${sandbox.bubblewrap.reason}`);
  await app.listen({ port: env.PORT, host: env.HOST });
  process.stdout.write(`tool-runtime listening on http://localhost:${env.PORT}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tool-runtime failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
