import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { ToolLimits } from '@gnomon/contracts';
import type { SandboxHost } from './sandbox-host';

export type SandboxKind = 'js' | 'ts' | 'python';

/** The files of one execution, all inside its own directory. */
export interface ExecLayout {
  execDir: string;
  inputFile: string;
  toolFile: string;
  resultFile: string;
  scratchDir: string;
  /** Deno's cache (transpiled TS, code cache): per execution, never shared between tenants. */
  denoDir: string;
  /** The egress proxy's unix socket; null when the tool has no allowNet. */
  egressSocket: string | null;
}

export function execLayout(execDir: string, kind: SandboxKind, withEgress: boolean): ExecLayout {
  const toolName = kind === 'python' ? 'tool.py' : kind === 'ts' ? 'tool.ts' : 'tool.js';
  return {
    execDir,
    inputFile: path.join(execDir, 'input.json'),
    toolFile: path.join(execDir, toolName),
    resultFile: path.join(execDir, 'result.json'),
    scratchDir: path.join(execDir, 'scratch'),
    denoDir: path.join(execDir, '.deno'),
    egressSocket: withEgress ? path.join(execDir, 'egress.sock') : null,
  };
}

/** Scratch files a tool may leave behind (more is OUTPUT_LIMIT). */
export const MAX_SCRATCH_FILES = 100;
export const MAX_SCRATCH_BYTES = 50 * 1024 * 1024;

const MIB = 1024 * 1024;
/** V8 reserves ~512 MiB of address space up front (code range); Deno does not start below ~560. */
const V8_RESERVATION_MIB = 512;
const MIN_DATA_MIB = { js: 640, python: 1024 } as const;
/** Pyodide's runtime holds ~30 MiB of linear memory before the tool runs. */
const MIN_PYTHON_MEMORY_MIB = 64;

/**
 * Memory, in the engine: the V8 heap limit is `memoryMb` and so is the WebAssembly memory
 * limit (Python's whole heap lives in Pyodide's linear memory; floor 64 MiB). At the OS level,
 * RLIMIT_DATA = 512 MiB (V8's up-front reservation) + 2 × memoryMb, at least 640 MiB (1 GiB for
 * Python), which catches what escapes the heap limit (ArrayBuffers, workers, native buffers).
 */
export function memoryPlan(kind: SandboxKind, memoryMb: number) {
  const python = kind === 'python';
  const engineMb = python ? Math.max(memoryMb, MIN_PYTHON_MEMORY_MIB) : memoryMb;
  const dataMib = Math.max(
    V8_RESERVATION_MIB + 2 * memoryMb,
    python ? MIN_DATA_MIB.python : MIN_DATA_MIB.js,
  );
  return {
    heapMb: engineMb,
    wasmPages: engineMb * 16, // 64 KiB pages
    dataBytes: dataMib * MIB,
  };
}

/** The whole environment of the sandbox: nothing of the host's. */
export function sandboxEnv(layout: ExecLayout): Record<string, string> {
  return { DENO_DIR: layout.denoDir, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' };
}

export const EGRESS_SENTINEL = 'egress.invalid';

/**
 * `deno run` with the least it needs: read the input, the tool and its scratch dir (plus
 * Pyodide for Python), write the result and the scratch dir, and — only with allowNet — talk to
 * the egress proxy's socket. No env, run, ffi, sys or other net access; no remote or npm code.
 */
export function denoArgs(
  host: SandboxHost,
  layout: ExecLayout,
  kind: SandboxKind,
  limits: ToolLimits,
): string[] {
  const memory = memoryPlan(kind, limits.memoryMb);
  const read = [layout.inputFile, layout.toolFile, layout.scratchDir];
  const write = [layout.resultFile, layout.scratchDir];
  if (kind === 'python') read.push(host.pyodideDir);
  const args = [
    'run',
    '--no-prompt',
    '--no-config',
    '--no-lock',
    '--no-remote',
    '--no-npm',
    `--v8-flags=--max-old-space-size=${memory.heapMb},--wasm-max-mem-pages=${memory.wasmPages}`,
  ];
  if (layout.egressSocket) {
    read.push(layout.egressSocket);
    write.push(layout.egressSocket);
    args.push(`--allow-net=unix:${layout.egressSocket},${EGRESS_SENTINEL}`);
  }
  args.push(`--allow-read=${read.join(',')}`, `--allow-write=${write.join(',')}`);
  const harness = kind === 'python' ? 'python-harness.mjs' : 'js-harness.mjs';
  args.push(path.join(host.harnessDir, harness), layout.execDir, path.basename(layout.toolFile));
  return args;
}

/** Resource limits set with prlimit(1) before anything else runs. */
export function prlimitArgs(kind: SandboxKind, limits: ToolLimits, maxProcesses: number | null) {
  const args = [
    `--data=${memoryPlan(kind, limits.memoryMb).dataBytes}`,
    '--nofile=256',
    '--core=0',
    // One file may not exceed what the tool may return plus the scratch budget (SIGXFSZ).
    `--fsize=${limits.outputBytes + MAX_SCRATCH_BYTES}`,
  ];
  // Threads count too; only meaningful with a uid of its own (the count is per uid).
  if (maxProcesses !== null) args.push(`--nproc=${maxProcesses}`);
  return args;
}

/** Drops from root to the execution's own uid before bubblewrap or Deno start. */
export function setprivArgs(uid: number): string[] {
  return [
    `--reuid=${uid}`,
    `--regid=${uid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
  ];
}

/** The uid and gid tools see inside bubblewrap (nobody). */
export const SANDBOX_UID = 65534;

function systemDirBinds(): string[] {
  const args: string[] = ['--ro-bind', '/usr', '/usr'];
  for (const dir of ['/bin', '/sbin', '/lib', '/lib64', '/lib32']) {
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      continue;
    }
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (stat.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  return args;
}

/**
 * bubblewrap around Deno: new user, pid, net, ipc, uts and cgroup namespaces, no capabilities,
 * no nested user namespaces, an empty root with read-only binds of only /usr (and the /lib, /bin
 * links), Deno, the harness and Pyodide, a private /proc, a minimal /dev, a 1 MiB /tmp, and the
 * execution directory as the only writable place. The egress socket is a file in that
 * directory, so it stays reachable although the sandbox has no network.
 */
export function bwrapArgs(host: SandboxHost, layout: ExecLayout, kind: SandboxKind): string[] {
  const env = sandboxEnv(layout);
  const args = [
    '--unshare-all',
    '--unshare-user', // --unshare-all only tries; --disable-userns needs it for certain
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--uid',
    String(SANDBOX_UID),
    '--gid',
    String(SANDBOX_UID),
    '--hostname',
    'sandbox',
    '--clearenv',
  ];
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  // Mounts apply in order: the empty /tmp comes first, so an install or a work dir under /tmp
  // (a checkout in /tmp, the default work root) is bound on top of it, not hidden by it.
  args.push('--proc', '/proc', '--dev', '/dev', '--size', String(MIB), '--tmpfs', '/tmp');
  args.push(...systemDirBinds());
  const denoDir = path.dirname(host.denoPath);
  args.push('--ro-bind', denoDir, denoDir, '--ro-bind', host.harnessDir, host.harnessDir);
  if (kind === 'python') args.push('--ro-bind', host.pyodideDir, host.pyodideDir);
  args.push('--bind', layout.execDir, layout.execDir, '--chdir', layout.execDir);
  return args;
}

export interface SandboxCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
}

export interface IsolationPlan {
  bubblewrap: boolean;
  /** Run as this host uid (we are root and setpriv exists); null: stay as we are. */
  uid: number | null;
  osLimits: boolean;
  maxProcesses: number;
}

/** prlimit → setpriv (uid, parent-death signal) → bwrap → deno, each layer only when the host has it. */
export function buildSandboxCommand(
  host: SandboxHost,
  layout: ExecLayout,
  kind: SandboxKind,
  limits: ToolLimits,
  isolation: IsolationPlan,
): SandboxCommand {
  let argv = [host.denoPath, ...denoArgs(host, layout, kind, limits)];
  if (isolation.bubblewrap && host.bwrapPath) {
    argv = [host.bwrapPath, ...bwrapArgs(host, layout, kind), '--', ...argv];
  }
  if (host.setprivPath) {
    // The parent-death signal kills the sandbox if the runtime itself dies (even SIGKILL):
    // without bubblewrap's --die-with-parent nothing else would stop an orphaned tool.
    const drop = isolation.uid !== null ? setprivArgs(isolation.uid) : [];
    argv = [host.setprivPath, ...drop, '--pdeathsig', 'KILL', '--', ...argv];
  }
  if (isolation.osLimits && host.prlimitPath) {
    const perUid = isolation.uid !== null ? isolation.maxProcesses : null;
    argv = [host.prlimitPath, ...prlimitArgs(kind, limits, perUid), '--', ...argv];
  }
  const [file, ...args] = argv;
  return { file: file ?? host.denoPath, args, env: sandboxEnv(layout) };
}
