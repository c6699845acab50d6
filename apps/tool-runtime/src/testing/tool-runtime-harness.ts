import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@gnomon/observability';
import { startLocalAwsEndpoint, type LocalAwsEndpoint } from '@gnomon/aws';
import { parseToolRuntimeEnv } from '../config/tool-runtime.config';
import { createToolRuntime } from '../tool-runtime.factory';
import type { ToolRuntimeOverrides } from '../tool-runtime.module';

export const ARTIFACT_BUCKET = 'gnomon-artifacts';

export interface ToolRuntimeHarness {
  app: NestFastifyApplication;
  baseUrl: string;
  serviceToken: string;
  aws: LocalAwsEndpoint;
  /** POST /v1/executions with the service credential. */
  execute(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * A tool runtime on a free port with its own local S3 endpoint. `env` overrides settings
 * (e.g. TOOL_EGRESS_ALLOW_CIDRS so tests can stand "public" servers on 127.0.0.2).
 */
export async function startToolRuntime(
  options: { env?: Record<string, string> } & ToolRuntimeOverrides = {},
): Promise<ToolRuntimeHarness> {
  const aws = await startLocalAwsEndpoint({ buckets: [ARTIFACT_BUCKET] });
  const serviceToken = `svc_${randomUUID()}`;
  const env = parseToolRuntimeEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    AWS_ENDPOINT_URL: aws.endpoint,
    GNOMON_ARTIFACT_BUCKET: ARTIFACT_BUCKET,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const logger = createLogger({ service: 'tool-runtime', level: env.LOG_LEVEL });
  const app = await createToolRuntime(
    { env, serviceToken },
    { logger, ...(options.resolve ? { resolve: options.resolve } : {}) },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    baseUrl,
    serviceToken,
    aws,
    async execute(body, headers = {}) {
      const response = await fetch(`${baseUrl}/v1/executions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${serviceToken}`,
          'content-type': 'application/json',
          ...headers,
        },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : null };
    },
    async close() {
      await app.close();
      await aws.stop();
    },
  };
}

/** A valid execution request for `tool`, with fresh ids. */
export function executionOf(tool: Record<string, unknown>, input: unknown = {}, extra = {}) {
  return {
    tenantId: randomUUID(),
    runId: `run-${randomUUID()}`,
    stepId: 'step-1',
    tool,
    input,
    ...extra,
  };
}
