import { constants } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ToolExecutionStatus, ToolLimits } from '@gnomon/contracts';
import {
  buildSandboxCommand,
  execLayout,
  MAX_SCRATCH_BYTES,
  MAX_SCRATCH_FILES,
  type ExecLayout,
  type SandboxKind,
} from './sandbox-command';
import { classifyRun, parseHarnessResult, type Verdict } from './sandbox-outcome';
import { superviseSandbox } from './sandbox-process';
import { probeSandboxHost, type HostProbe, type SandboxCapabilities } from './sandbox-probe';
import { SandboxUidPool } from './sandbox-uids';
import { listScratchFiles, type ScratchFile } from './scratch-files';

export type { SandboxCapabilities, SandboxLayer } from './sandbox-probe';
export type { ScratchFile } from './scratch-files';

/** The egress proxy for one execution (apps/tool-runtime/src/egress, injected). */
export interface EgressHandle {
  denials(): { code: string; message: string; url: string }[];
  close(): Promise<void>;
}
export type OpenEgress = (socketPath: string, allowNet: readonly string[]) => Promise<EgressHandle>;

export interface SandboxRunnerOptions {
  /** Where execution directories are created (default `<os tmpdir>/gnomon-tools`). */
  workRoot?: string;
  /** The Deno binary (default: GNOMON_DENO_PATH, then the `@deno/<platform>` npm package). */
  denoPath?: string;
  pyodideDir?: string;
  /** `auto`: use bubblewrap when its self-test passes; `off`: never. */
  bubblewrap: 'auto' | 'off';
  /** Needed for tools with allowNet: starts the egress proxy on the given unix socket. */
  openEgress?: OpenEgress;
  /** stdout and stderr kept per stream in the outcome (default 64 KiB). */
  logBytes?: number;
}

export interface SandboxRequest {
  kind: SandboxKind;
  source: string;
  input: unknown;
  allowNet: readonly string[];
  limits: ToolLimits;
  context: { tenantId: string; runId: string; stepId: string };
}

export interface SandboxOutcome {
  status: ToolExecutionStatus;
  /** null unless SUCCEEDED. */
  output: unknown;
  error: { message: string } | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  scratchDir: string;
  /** Regular files the tool left in its scratch dir, to upload before dispose(). */
  files: ScratchFile[];
  /** Removes the execution directory (and its files); safe to call twice. */
  dispose(): Promise<void>;
}

const DEFAULT_LOG_BYTES = 64 * 1024;
/** Pyodide starts in ~1.5 s cold; the deadline counts from when the tool's code starts. */
const BOOT_TIMEOUT_MS = { js: 10_000, ts: 10_000, python: 30_000 } as const;
/** Each execution's own uid may run this many threads (Deno needs ~8, Pyodide as many). */
const MAX_THREADS = 256;
/** result.json may exceed the output cap by an error's message and stack. */
const RESULT_ENVELOPE_BYTES = 64 * 1024;
const MAX_UNIX_SOCKET_PATH = 107;

/**
 * Runs tenant code (hostile by assumption) in a fresh Deno process per execution: Deno's
 * permissions (only its input, tool file and scratch dir; fetch only through the egress proxy),
 * inside bubblewrap when the host allows it, as a uid of its own when we are root, under OS
 * resource limits, with a deadline and output caps enforced from here.
 */
export class SandboxRunner {
  private readonly workRoot: string;
  private readonly logBytes: number;
  private readonly uids = new SandboxUidPool();
  private probe: Promise<HostProbe> | null = null;

  constructor(private readonly options: SandboxRunnerOptions) {
    this.workRoot = path.resolve(options.workRoot ?? path.join(os.tmpdir(), 'gnomon-tools'));
    this.logBytes = options.logBytes ?? DEFAULT_LOG_BYTES;
  }

  /** What isolation this host gives; probed once (bubblewrap by running a trivial sandbox). */
  async capabilities(): Promise<SandboxCapabilities> {
    return (await this.hostProbe()).capabilities;
  }

  async run(request: SandboxRequest): Promise<SandboxOutcome> {
    const probe = await this.hostProbe();
    const { kind, limits } = request;
    if (kind !== 'js' && kind !== 'ts' && kind !== 'python')
      throw new Error(`unsupported tool kind ${String(kind)}`);
    if (request.allowNet.length > 0 && !this.options.openEgress)
      throw new Error(
        'a tool with allowNet needs the egress proxy (SandboxRunner option openEgress)',
      );

    const execDir = await mkdtemp(path.join(this.workRoot, 'exec-'));
    const layout = execLayout(execDir, kind, request.allowNet.length > 0);
    const uid = probe.capabilities.uidIsolation.enabled ? this.uids.acquire() : null;
    let egress: EgressHandle | null = null;
    let disposed: Promise<void> | null = null;
    const dispose = () => (disposed ??= rm(execDir, { recursive: true, force: true }));
    try {
      await this.prepare(layout, request, probe, uid);
      if (layout.egressSocket && this.options.openEgress) {
        egress = await this.options.openEgress(layout.egressSocket, request.allowNet);
        if (uid !== null) await chown(layout.egressSocket, uid, uid);
      }
      const command = buildSandboxCommand(probe.host, layout, kind, limits, {
        bubblewrap: probe.capabilities.bubblewrap.enabled,
        uid,
        osLimits: probe.capabilities.osMemoryCap.enabled,
        maxProcesses: MAX_THREADS,
      });
      const bootTimeoutMs = BOOT_TIMEOUT_MS[kind];
      const run = await superviseSandbox(command, {
        timeoutMs: limits.timeoutMs,
        bootTimeoutMs,
        outputBytes: limits.outputBytes,
        logBytes: this.logBytes,
        checkScratch: async () => {
          const listing = await listScratchFiles(layout.scratchDir);
          return listing.ok ? null : listing.message;
        },
      });
      // The sandbox uid may no longer enter the directory (its uid is handed out again).
      if (uid !== null) await chown(execDir, process.getuid?.() ?? 0, process.getgid?.() ?? 0);

      const resultFile = await readResultFile(layout.resultFile, limits.outputBytes);
      let verdict: Verdict = resultFile.tooLarge
        ? outputTooLarge(limits)
        : classifyRun(run, parseHarnessResult(resultFile.text), limits, bootTimeoutMs);
      if (verdict.status === 'SUCCEEDED' && jsonBytes(verdict.output) > limits.outputBytes)
        verdict = outputTooLarge(limits);
      const listing = await listScratchFiles(layout.scratchDir);
      if (!listing.ok && (verdict.status === 'SUCCEEDED' || verdict.status === 'FAILED'))
        verdict = { status: 'OUTPUT_LIMIT', output: null, error: { message: listing.message } };
      return {
        status: verdict.status,
        output: verdict.status === 'SUCCEEDED' ? verdict.output : null,
        error: verdict.error,
        stdout: run.stdout,
        stderr: run.stderr,
        durationMs: run.durationMs,
        scratchDir: layout.scratchDir,
        files: listing.ok ? listing.files : [],
        dispose,
      };
    } catch (error) {
      await dispose();
      throw error;
    } finally {
      await egress?.close();
      if (uid !== null) this.uids.release(uid);
    }
  }

  private hostProbe(): Promise<HostProbe> {
    if (!this.probe) {
      const probe = probeSandboxHost({
        workRoot: this.workRoot,
        denoPath: this.options.denoPath,
        pyodideDir: this.options.pyodideDir,
        bubblewrap: this.options.bubblewrap,
        uids: this.uids,
      });
      // A failed probe (say, Deno missing) is retried on the next call rather than cached.
      probe.catch(() => {
        if (this.probe === probe) this.probe = null;
      });
      this.probe = probe;
    }
    return this.probe;
  }

  private async prepare(
    layout: ExecLayout,
    request: SandboxRequest,
    probe: HostProbe,
    uid: number | null,
  ): Promise<void> {
    if (layout.egressSocket && Buffer.byteLength(layout.egressSocket) > MAX_UNIX_SOCKET_PATH)
      throw new Error(`the work root ${this.workRoot} is too long for a unix socket path`);
    const harnessRequest = {
      input: request.input ?? null,
      context: { scratchDir: layout.scratchDir, ...request.context },
      outputBytes: request.limits.outputBytes,
      egressSocket: layout.egressSocket,
      pyodideDir: probe.host.pyodideDir,
      scratchLimits: { maxFiles: MAX_SCRATCH_FILES, maxBytes: MAX_SCRATCH_BYTES },
    };
    await writeFile(layout.inputFile, JSON.stringify(harnessRequest), { mode: 0o644 });
    await writeFile(layout.toolFile, request.source, { mode: 0o644 });
    await mkdir(layout.scratchDir, { mode: 0o700 });
    await mkdir(layout.denoDir, { mode: 0o700 });
    if (uid !== null) {
      for (const dir of [layout.execDir, layout.scratchDir, layout.denoDir])
        await chown(dir, uid, uid);
    }
    await chmod(layout.execDir, 0o700);
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null));
}

function outputTooLarge(limits: ToolLimits): Verdict {
  return {
    status: 'OUTPUT_LIMIT',
    output: null,
    error: { message: `the tool output is larger than its limit of ${limits.outputBytes} bytes` },
  };
}

type ResultFile = { tooLarge: true } | { tooLarge: false; text: string | null };

/** result.json, never through a symlink and never more than the cap allows. */
async function readResultFile(file: string, outputBytes: number): Promise<ResultFile> {
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return { tooLarge: false, text: null };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { tooLarge: false, text: null };
    if (stat.size > outputBytes + RESULT_ENVELOPE_BYTES) return { tooLarge: true };
    return { tooLarge: false, text: await handle.readFile('utf8') };
  } finally {
    await handle.close();
  }
}
