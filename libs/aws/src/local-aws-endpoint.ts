import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface LocalAwsEndpoint {
  /** Base URL of the SQS/S3-compatible endpoint, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  /** URLs of the queues created at start (dead-letter queues included), by name. */
  queueUrls: Record<string, string>;
  stop(): Promise<void>;
}

/** A queue created at start: SQS attributes, and a dead-letter queue wired in by RedrivePolicy. */
export interface LocalQueueConfig {
  name: string;
  /** CreateQueue attributes, e.g. `{ VisibilityTimeout: '30' }`. */
  attributes?: Record<string, string>;
  /** Created first if missing; messages move there after `maxReceiveCount` receives. */
  deadLetterQueue?: { name: string; maxReceiveCount: number };
}

/** The repository root, found from here both in the sources and in dist/. */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'tools/local-aws.mjs'))) return dir;
  }
  throw new Error('tools/local-aws.mjs not found above ' + __dirname);
}

/**
 * Starts the local AWS endpoint of the embedded defaults (tools/local-aws.mjs, the one
 * `npm start` runs) in a child process, for tests and benchmarks; it is an ES module that
 * jest cannot load in-process.
 */
export async function startLocalAwsEndpoint(
  options: { buckets?: string[]; queues?: (string | LocalQueueConfig)[] } = {},
): Promise<LocalAwsEndpoint> {
  const args = [path.join(repositoryRoot(), 'tools/local-aws.mjs')];
  for (const bucket of options.buckets ?? []) args.push('--bucket', bucket);
  for (const queue of options.queues ?? []) {
    if (typeof queue === 'string') args.push('--queue', queue);
    else args.push('--queue-config', JSON.stringify(queue));
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`local AWS endpoint exited with ${code}`)));
  });
  const { endpoint, queueUrls } = JSON.parse(firstLine) as Pick<
    LocalAwsEndpoint,
    'endpoint' | 'queueUrls'
  >;
  return {
    endpoint,
    queueUrls,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
