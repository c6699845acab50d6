import type { ToolExecutionStatus, ToolLimits } from '@gnomon/contracts';
import type { SupervisedRun } from './sandbox-process';

/** What the harness wrote to result.json. */
export type HarnessResult =
  { ok: true; output: unknown } | { ok: false; errorName: string; message: string; stack?: string };

export interface Verdict {
  status: ToolExecutionStatus;
  output: unknown;
  error: { message: string } | null;
}

/** Parses result.json; null when it is not what the harness writes. */
export function parseHarnessResult(text: string | null): HarnessResult | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.ok === true) return { ok: true, output: record.output ?? null };
  if (
    record.ok === false &&
    typeof record.errorName === 'string' &&
    typeof record.message === 'string'
  ) {
    return {
      ok: false,
      errorName: record.errorName,
      message: record.message,
      ...(typeof record.stack === 'string' ? { stack: record.stack } : {}),
    };
  }
  return null;
}

const PERMISSION_ERRORS = new Set(['NotCapable', 'PermissionDenied', 'PermissionError']);
const MEMORY_ERRORS = new Set(['MemoryError', 'OutOfMemory']);
const MEMORY_MESSAGE =
  /Array buffer allocation failed|WebAssembly\.Memory|Out of memory|Maximum memory size|Cannot allocate/i;
const FATAL_OOM =
  /Fatal JavaScript out of memory|Fatal process out of memory|Reached heap limit|JavaScript heap out of memory/;

function failure(status: ToolExecutionStatus, message: string): Verdict {
  return { status, output: null, error: { message } };
}

/** Deno's hint is for developers at a terminal; a tenant needs to know it is not allowed. */
function permissionMessage(message: string): string {
  const plain = message.replace(/, run again with the --allow-[a-z-]+ flag\.?$/, '');
  return `permission denied: ${plain} (tools may only use their input and scratch directory)`;
}

function fromHarnessError(result: { errorName: string; message: string }, limits: ToolLimits) {
  const { errorName, message } = result;
  if (PERMISSION_ERRORS.has(errorName))
    return failure('PERMISSION_DENIED', permissionMessage(message));
  if (errorName === 'EgressDenied') return failure('EGRESS_DENIED', message);
  if (errorName === 'OutputLimit') return failure('OUTPUT_LIMIT', message);
  if (MEMORY_ERRORS.has(errorName) || (errorName === 'RangeError' && MEMORY_MESSAGE.test(message)))
    return failure('MEMORY_LIMIT', memoryMessage(limits, `${errorName}: ${message}`));
  const label = errorName && errorName !== 'Error' ? `${errorName}: ` : '';
  return failure('FAILED', `${label}${message}`.trim() || 'the tool failed without a message');
}

function memoryMessage(limits: ToolLimits, detail: string): string {
  return `the tool ran out of memory (limit ${limits.memoryMb} MiB): ${detail}`;
}

function exitDescription(run: SupervisedRun): string {
  if (run.signal) return `was killed by ${run.signal}`;
  return `exited with code ${run.exitCode ?? 'unknown'}`;
}

/** bubblewrap reports a child killed by signal N as exit code 128 + N. */
const SIGNAL_EXIT = { SIGTRAP: 133, SIGABRT: 134, SIGXFSZ: 153 } as const;

function diedOf(run: SupervisedRun, signal: keyof typeof SIGNAL_EXIT): boolean {
  return run.signal === signal || run.exitCode === SIGNAL_EXIT[signal];
}

/**
 * Maps how the sandbox ended to a status. Supervisor decisions (deadline, output caps) win;
 * then what the harness reported; then how the process died.
 */
export function classifyRun(
  run: SupervisedRun,
  result: HarnessResult | null,
  limits: ToolLimits,
  bootTimeoutMs: number,
): Verdict {
  switch (run.end) {
    case 'deadline':
      return failure('TIMEOUT', `tool exceeded its ${limits.timeoutMs} ms deadline`);
    case 'output-limit':
      return failure(
        'OUTPUT_LIMIT',
        `the tool wrote more than ${limits.outputBytes} bytes to stdout and stderr`,
      );
    case 'scratch-limit':
      return failure(
        'OUTPUT_LIMIT',
        run.scratchProblem ?? 'the scratch directory is over its caps',
      );
    case 'boot-deadline':
      return failure('FAILED', `the sandbox runtime did not start within ${bootTimeoutMs} ms`);
    case 'exited':
      break;
  }
  if (run.spawnError)
    return failure('FAILED', `the sandbox could not start: ${run.spawnError.message}`);
  if (result?.ok === true) return { status: 'SUCCEEDED', output: result.output, error: null };
  if (result) return fromHarnessError(result, limits);
  if (diedOf(run, 'SIGXFSZ'))
    return failure('OUTPUT_LIMIT', 'the tool wrote a file larger than its file size limit');
  const fatal = FATAL_OOM.exec(run.stderrTail);
  if (fatal || diedOf(run, 'SIGTRAP') || diedOf(run, 'SIGABRT'))
    return failure('MEMORY_LIMIT', memoryMessage(limits, fatal ? fatal[0] : 'the engine aborted'));
  return failure('FAILED', `the tool process ${exitDescription(run)} before returning a result`);
}
