import { spawn } from 'node:child_process';
import type { SandboxCommand } from './sandbox-command';

/** Written by the harness to stderr just before tenant code starts (see harness/lockdown.mjs). */
export const READY_MARKER = Buffer.from('\u001egnomon-sandbox-ready\u001e\n');
const MAX_PRE_READY_BYTES = 64 * 1024;
const STDERR_TAIL_BYTES = 8 * 1024;
/** After a kill, how long to wait for the pipes to close before giving up on them. */
const CLOSE_GRACE_MS = 5_000;

export type RunEnd =
  'exited' | 'deadline' | 'boot-deadline' | 'output-limit' | 'scratch-limit' | 'aborted';

export interface SupervisedRun {
  end: RunEnd;
  /** Why the scratch watchdog stopped the run (end === 'scratch-limit'). */
  scratchProblem: string | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last bytes of stderr, whole, for recognising fatal engine errors. */
  stderrTail: string;
  durationMs: number;
  spawnError: Error | null;
}

export interface SuperviseOptions {
  /** Deadline of the tool, counted from the harness's ready marker. */
  timeoutMs: number;
  /** Deadline for the runtime to start (Pyodide takes ~1.5 s cold). */
  bootTimeoutMs: number;
  /** stdout + stderr together beyond this: the process is killed. */
  outputBytes: number;
  /** Kept per stream for the result. */
  logBytes: number;
  /** Polled while the tool runs; a message stops the run (scratch over its caps). */
  checkScratch?: () => Promise<string | null>;
  scratchPollMs?: number;
}

/** Keeps the first `limit` bytes of a stream and counts the rest. */
class LogCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(piece);
      this.kept += piece.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(room, 0));
  }

  text(): string {
    const text = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped > 0 ? `${text}\n… [${this.dropped} more bytes truncated]` : text;
  }
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL'); // the whole process group (spawned detached)
  } catch {
    // already gone
  }
}

/**
 * Runs the sandbox command as its own process group and supervises it: the deadline, the
 * stdout/stderr cap, the scratch watchdog. Every way out kills the whole group with SIGKILL
 * (bubblewrap's --die-with-parent then takes down its pid namespace).
 */
export function superviseSandbox(
  command: SandboxCommand,
  options: SuperviseOptions,
): Promise<SupervisedRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const stdout = new LogCapture(options.logBytes);
    const stderr = new LogCapture(options.logBytes);
    let stderrTail = Buffer.alloc(0);
    let preReady: Buffer | null = Buffer.alloc(0);
    let written = 0;
    let end: RunEnd | null = null;
    let scratchProblem: string | null = null;
    let spawnError: Error | null = null;
    const timers: NodeJS.Timeout[] = [];

    const child = spawn(command.file, command.args, {
      env: command.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      cwd: '/',
    });

    const stop = (why: RunEnd) => {
      if (end !== null) return;
      end = why;
      killGroup(child.pid);
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
      }, CLOSE_GRACE_MS);
      grace.unref();
    };

    const count = (chunk: Buffer, capture: LogCapture) => {
      if (end !== null) return;
      written += chunk.length;
      capture.push(chunk);
      if (written > options.outputBytes) stop('output-limit');
    };

    const startDeadline = () => {
      timers.push(setTimeout(() => stop('deadline'), options.timeoutMs));
      if (options.checkScratch) {
        const check = options.checkScratch;
        let busy = false;
        const poll = setInterval(() => {
          if (busy || end !== null) return;
          busy = true;
          check()
            .then((problem) => {
              if (problem && end === null) {
                scratchProblem = problem;
                stop('scratch-limit');
              }
            })
            .catch(() => undefined)
            .finally(() => {
              busy = false;
            });
        }, options.scratchPollMs ?? 250);
        timers.push(poll);
      }
    };
    const bootTimer = setTimeout(() => stop('boot-deadline'), options.bootTimeoutMs);
    timers.push(bootTimer);

    child.stdout.on('data', (chunk: Buffer) => count(chunk, stdout));
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = Buffer.concat([stderrTail, chunk]);
      if (stderrTail.length > STDERR_TAIL_BYTES)
        stderrTail = stderrTail.subarray(-STDERR_TAIL_BYTES);
      if (preReady === null) return count(chunk, stderr);
      preReady = Buffer.concat([preReady, chunk]);
      const at = preReady.indexOf(READY_MARKER);
      if (at >= 0) {
        const before = preReady.subarray(0, at);
        const after = preReady.subarray(at + READY_MARKER.length);
        preReady = null;
        clearTimeout(bootTimer);
        startDeadline();
        if (before.length > 0) count(before, stderr);
        if (after.length > 0) count(after, stderr);
      } else if (preReady.length > MAX_PRE_READY_BYTES) {
        const pending = preReady;
        preReady = null; // no marker coming; the boot deadline still applies
        count(pending, stderr);
      }
    });

    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      for (const timer of timers) clearTimeout(timer);
      if (preReady !== null && preReady.length > 0) stderr.push(preReady);
      resolve({
        end: end ?? 'exited',
        scratchProblem,
        exitCode: code,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stderrTail: stderrTail.toString('utf8'),
        durationMs: Math.round(performance.now() - started),
        spawnError,
      });
    };
    child.on('error', (error) => {
      spawnError = error;
      if (child.pid === undefined) finish(null, null); // never started: no 'close' to wait for
    });
    // Right after the leader is reaped: nothing of the group may outlive it. (Deno cannot
    // spawn; bubblewrap's own children live in its pid namespace, which dies with it.)
    child.on('exit', () => killGroup(child.pid));
    child.on('close', finish);
  });
}
