import { chmod, chown, lstat, mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { bwrapArgs, execLayout, setprivArgs } from './sandbox-command';
import { denoVersion, locateHost, runQuietly, type SandboxHost } from './sandbox-host';
import type { SandboxUidPool } from './sandbox-uids';

export interface SandboxLayer {
  enabled: boolean;
  reason: string;
}

/** Shown on /readyz and in the start-up log. */
export interface SandboxCapabilities {
  /** Deno's version, e.g. 2.9.5. */
  deno: string;
  bubblewrap: SandboxLayer;
  osMemoryCap: SandboxLayer;
  /** Each execution as a host uid of its own (only when the runtime runs as root). */
  uidIsolation: SandboxLayer;
}

export interface HostProbe {
  host: SandboxHost;
  capabilities: SandboxCapabilities;
}

export interface ProbeOptions {
  workRoot: string;
  denoPath?: string;
  pyodideDir?: string;
  bubblewrap: 'auto' | 'off';
  uids: SandboxUidPool;
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 300) || 'no output';
}

/** Creates the work root; it must be ours (it sits in a world-writable /tmp by default). */
export async function ensureWorkRoot(workRoot: string): Promise<void> {
  await mkdir(workRoot, { recursive: true, mode: 0o711 });
  const stat = await lstat(workRoot);
  const me = process.getuid?.();
  if (!stat.isDirectory() || (me !== undefined && stat.uid !== me))
    throw new Error(`the work root ${workRoot} must be a directory owned by the tool runtime`);
  // Sandbox uids must pass through it to their own directory, without listing it.
  await chmod(workRoot, 0o711);
}

async function probeOsLimits(host: SandboxHost): Promise<SandboxLayer> {
  if (!host.prlimitPath) return { enabled: false, reason: 'prlimit (util-linux) not found' };
  const result = await runQuietly(host.prlimitPath, [
    `--data=${1024 * 1024 * 1024}`,
    '--nofile=256',
    '--core=0',
    '--',
    host.denoPath,
    '--version',
  ]);
  if (result.code !== 0)
    return { enabled: false, reason: `prlimit self-test failed: ${firstLine(result.stderr)}` };
  return {
    enabled: true,
    reason:
      'prlimit: RLIMIT_DATA 512 MiB + 2 × memoryMb (at least 640 MiB, 1 GiB for Python), ' +
      'RLIMIT_FSIZE, RLIMIT_NOFILE 256, no core dumps',
  };
}

async function probeUidIsolation(host: SandboxHost, uids: SandboxUidPool): Promise<SandboxLayer> {
  if (process.getuid?.() !== 0)
    return { enabled: false, reason: 'the runtime does not run as root: tools run as its uid' };
  if (!host.setprivPath)
    return { enabled: false, reason: 'setpriv (util-linux) not found: tools run as root' };
  const uid = uids.acquire();
  try {
    const result = await runQuietly(host.setprivPath, [
      ...setprivArgs(uid),
      '--',
      host.denoPath,
      '--version',
    ]);
    if (result.code !== 0)
      return { enabled: false, reason: `setpriv self-test failed: ${firstLine(result.stderr)}` };
  } finally {
    uids.release(uid);
  }
  return {
    enabled: true,
    reason: 'each execution runs as its own host uid (61000-64999), RLIMIT_NPROC 256',
  };
}

/** Runs `deno --version` in exactly the bubblewrap sandbox tools get, as the uid they get. */
async function probeBubblewrap(
  host: SandboxHost,
  options: ProbeOptions,
  uidIsolation: boolean,
): Promise<SandboxLayer> {
  if (options.bubblewrap === 'off')
    return { enabled: false, reason: 'disabled by configuration (bubblewrap: off)' };
  if (!host.bwrapPath) return { enabled: false, reason: 'bwrap not found on this host' };
  const version = firstLine((await runQuietly(host.bwrapPath, ['--version'])).stdout);
  const execDir = await mkdtemp(path.join(options.workRoot, 'probe-'));
  const uid = uidIsolation ? options.uids.acquire() : null;
  try {
    const layout = execLayout(execDir, 'python', false);
    await mkdir(layout.denoDir);
    if (uid !== null) {
      await chown(execDir, uid, uid);
      await chown(layout.denoDir, uid, uid);
    }
    let argv = [
      host.bwrapPath,
      ...bwrapArgs(host, layout, 'python'),
      '--',
      host.denoPath,
      '--version',
    ];
    if (uid !== null && host.setprivPath)
      argv = [host.setprivPath, ...setprivArgs(uid), '--', ...argv];
    const [file = host.bwrapPath, ...args] = argv;
    const result = await runQuietly(file, args);
    if (result.code !== 0 || !/deno \d/.test(result.stdout))
      return { enabled: false, reason: `bwrap self-test failed: ${firstLine(result.stderr)}` };
  } finally {
    if (uid !== null) options.uids.release(uid);
    await rm(execDir, { recursive: true, force: true });
  }
  return {
    enabled: true,
    reason:
      `${version}: new user/pid/net/ipc/uts/cgroup namespaces, no capabilities, uid 65534, ` +
      'read-only system binds, only the execution directory writable',
  };
}

export async function probeSandboxHost(options: ProbeOptions): Promise<HostProbe> {
  const host = locateHost(options);
  const deno = await denoVersion(host.denoPath);
  await ensureWorkRoot(options.workRoot);
  const [osMemoryCap, uidIsolation] = await Promise.all([
    probeOsLimits(host),
    probeUidIsolation(host, options.uids),
  ]);
  const bubblewrap = await probeBubblewrap(host, options, uidIsolation.enabled);
  return { host, capabilities: { deno, bubblewrap, osMemoryCap, uidIsolation } };
}
