import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface LocalAwsEndpoint {
  /** Base URL of the SQS/S3-compatible endpoint, e.g. `http://127.0.0.1:40123`. */
  endpoint: string;
  stop(): Promise<void>;
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
  options: { buckets?: string[]; queues?: string[] } = {},
): Promise<LocalAwsEndpoint> {
  const args = [path.join(repositoryRoot(), 'tools/local-aws.mjs')];
  for (const bucket of options.buckets ?? []) args.push('--bucket', bucket);
  for (const queue of options.queues ?? []) args.push('--queue', queue);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`local AWS endpoint exited with ${code}`)));
  });
  const { endpoint } = JSON.parse(firstLine) as { endpoint: string };
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
