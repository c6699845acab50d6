import 'reflect-metadata';
import { resolveDataDir, resolvePlatformSecrets } from '@gnomon/local-runtime';
import { parseGatewayEnv } from './config/gateway.config';
import { createGateway } from './gateway.factory';

async function main(): Promise<void> {
  const env = parseGatewayEnv(process.env);
  const secrets = await resolvePlatformSecrets(process.env, resolveDataDir(process.env));
  const app = await createGateway({ env, secrets });
  await app.listen({ port: env.PORT, host: env.HOST });
  process.stdout.write(
    `llm-gateway listening on http://localhost:${env.PORT} (OpenAI-compatible base URL: /v1)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `llm-gateway failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
