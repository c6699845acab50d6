import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface LocalStepFunctionsProcess {
  /** Base URL of the Step Functions-compatible endpoint (for `AWS_ENDPOINT_URL_SFN`). */
  endpoint: string;
  stateMachineArn: string;
  /** The child's process id. */
  pid: number;
  /** SIGTERM, then its exit code (0 when it stopped cleanly; null if a signal killed it). */
  stop(): Promise<number | null>;
}

export interface LocalStepFunctionsProcessOptions {
  /** The step queue the run state machine sends its messages to. */
  queueUrl: string;
  /** Added to this process's environment: where SQS is (`AWS_ENDPOINT_URL_SQS`, `AWS_REGION`). */
  env?: Record<string, string>;
  stateMachineArn?: string;
  port?: number;
}

const CLI = 'dist/libs/workflow/src/local/local-step-functions.cli.js';

/** The repository root, found from here both in the sources and in dist/. */
function repositoryRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'tools/build.mjs'))) return dir;
  }
  throw new Error(`tools/build.mjs not found above ${__dirname}`);
}

/**
 * Starts the local Step Functions endpoint (local-step-functions.cli.ts, built into dist/) in a
 * child process, for tests and benchmarks; builds dist/ first when the CLI is not there.
 */
export async function startLocalStepFunctionsProcess(
  options: LocalStepFunctionsProcessOptions,
): Promise<LocalStepFunctionsProcess> {
  const root = repositoryRoot();
  const cli = path.join(root, CLI);
  if (!existsSync(cli)) {
    execFileSync(process.execPath, ['tools/build.mjs'], { cwd: root, stdio: 'ignore' });
  }
  const args = [cli, '--queue-url', options.queueUrl];
  if (options.stateMachineArn) args.push('--state-machine-arn', options.stateMachineArn);
  if (options.port !== undefined) args.push('--port', String(options.port));
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`local Step Functions endpoint exited with ${String(code)}`)),
    );
  });
  const ready = JSON.parse(firstLine) as { endpoint: string; stateMachineArn: string };
  return {
    endpoint: ready.endpoint,
    stateMachineArn: ready.stateMachineArn,
    pid: child.pid ?? -1,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
