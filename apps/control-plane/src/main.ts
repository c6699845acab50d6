import 'reflect-metadata';
import { resolveDataDir, resolvePlatformSecrets } from '@gnomon/local-runtime';
import { parseControlPlaneEnv } from './config/control-plane.config';
import { createControlPlane } from './control-plane.factory';

async function main(): Promise<void> {
  const env = parseControlPlaneEnv(process.env);
  const secrets = await resolvePlatformSecrets(process.env, resolveDataDir(process.env));
  const app = await createControlPlane({ env, secrets });
  await app.listen({ port: env.PORT, host: env.HOST });
  process.stdout.write(
    `control-plane listening on http://localhost:${env.PORT} (API docs: /api/docs)\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `control-plane failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
