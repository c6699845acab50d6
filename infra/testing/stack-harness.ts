import * as pulumi from '@pulumi/pulumi';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { MockCloud } from './mock-cloud';

/**
 * Runs the Pulumi program for one stack under mocks, with the configuration of the real
 * `Pulumi.<stack>.yaml` plus test values for the secrets an operator sets with
 * `pulumi config set --secret`. Call once per test file (Pulumi's runtime state is per process
 * module registry, and jest gives each file its own).
 */

export type StackName = 'dev' | 'staging' | 'prod';

/** Distinct, recognisable values: a test can search for them where they must not appear. */
export const TEST_SECRETS: Record<string, string> = {
  'gnomon:adminKey': 'test-admin-key-0123456789abcdef',
  'gnomon:serviceToken': 'test-service-token-0123456789ab',
  'gnomon:apiKeyPepper': 'test-api-key-pepper-0123456789',
  'gnomon:cursorSecret': 'test-cursor-secret-0123456789ab',
  'gnomon:encryptionKey': 'test-encryption-key-0123456789',
  'gnomon:databaseOwnerPassword': 'test-owner-password-0123456789',
  'gnomon:databaseAppPassword': 'test-app-password-0123456789ab',
  'gnomon:redisAuthToken': 'test-redis-auth-token-01234567',
  'gnomon:openaiApiKey': 'sk-test-openai-0123456789abcdef',
  'gnomon:anthropicApiKey': 'sk-ant-test-0123456789abcdef',
};

export interface LoadedStack {
  stack: StackName;
  cloud: MockCloud;
  /** The program's exports, resolved. */
  outputs: Record<string, unknown>;
  /** The stack file's settings (`gnomon:` keys without the prefix). */
  settings: Record<string, unknown>;
}

/** The `config:` map of infra/Pulumi.<stack>.yaml. */
export function readStackFile(stack: StackName): Record<string, unknown> {
  const file = path.join(__dirname, '..', `Pulumi.${stack}.yaml`);
  const document = parse(readFileSync(file, 'utf8')) as { config?: Record<string, unknown> };
  if (!document?.config) throw new Error(`${file} has no config map`);
  return document.config;
}

/** Resolves an output (or a structure holding outputs) to its plain value. */
export function valueOf<T>(input: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => {
    pulumi.output(input).apply((value) => {
      resolve(value);
      return value;
    });
  });
}

export async function loadStack(
  stack: StackName,
  overrides: Record<string, unknown> = {},
): Promise<LoadedStack> {
  const fileConfig = { ...readStackFile(stack), ...overrides };
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(fileConfig)) {
    config[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  Object.assign(config, TEST_SECRETS);
  pulumi.runtime.setAllConfig(config, Object.keys(TEST_SECRETS));

  const cloud = new MockCloud();
  await pulumi.runtime.setMocks(cloud, 'gnomon', stack, false);
  const program = (await import('../index')) as Record<string, unknown>;
  const outputs = (await valueOf(program)) as Record<string, unknown>;
  // Every registration has reached the mocks once the runtime's RPC queue is empty.
  await pulumi.runtime.disconnect();

  const settings = Object.fromEntries(
    Object.entries(fileConfig)
      .filter(([key]) => key.startsWith('gnomon:'))
      .map(([key, value]) => [key.slice('gnomon:'.length), value]),
  );
  return { stack, cloud, outputs, settings };
}
