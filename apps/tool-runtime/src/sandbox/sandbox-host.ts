import { execFile } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import path from 'node:path';

/** Where the pieces of the sandbox live on this host. */
export interface SandboxHost {
  denoPath: string;
  pyodideDir: string;
  /** The harness scripts (`harness/*.mjs`), next to this file in src/ and in dist/. */
  harnessDir: string;
  bwrapPath: string | null;
  prlimitPath: string | null;
  setprivPath: string | null;
}

const SYSTEM_BIN_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

/** An executable by name in the usual system directories (never the caller's PATH). */
export function findSystemExecutable(name: string): string | null {
  for (const dir of SYSTEM_BIN_DIRS) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The Deno binary: the explicit option, then `GNOMON_DENO_PATH`, then the platform package the
 * `deno` npm package depends on (its postinstall, which would link it, may not have run).
 */
export function locateDeno(explicit?: string): string {
  const configured = explicit ?? process.env.GNOMON_DENO_PATH;
  if (configured) return realpathSync(configured);
  const suffix = process.platform === 'linux' ? '-glibc' : '';
  const pkg = `@deno/${process.platform}-${process.arch}${suffix}`;
  try {
    return realpathSync(path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'deno'));
  } catch {
    throw new Error(
      `cannot find the Deno binary: install the npm package ${pkg} (a dependency of "deno") or set GNOMON_DENO_PATH`,
    );
  }
}

export function locatePyodide(explicit?: string): string {
  if (explicit) return realpathSync(explicit);
  try {
    return realpathSync(path.dirname(require.resolve('pyodide/package.json')));
  } catch {
    throw new Error('cannot find Pyodide: install the npm package "pyodide" or pass pyodideDir');
  }
}

export function locateHost(options: { denoPath?: string; pyodideDir?: string }): SandboxHost {
  return {
    denoPath: locateDeno(options.denoPath),
    pyodideDir: locatePyodide(options.pyodideDir),
    harnessDir: realpathSync(path.join(__dirname, 'harness')),
    bwrapPath: findSystemExecutable('bwrap'),
    prlimitPath: findSystemExecutable('prlimit'),
    setprivPath: findSystemExecutable('setpriv'),
  };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a short host command with an empty environment; never throws. */
export function runQuietly(
  file: string,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: {}, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr || error?.message || '') });
      },
    );
  });
}

export async function denoVersion(denoPath: string): Promise<string> {
  const result = await runQuietly(denoPath, ['--version']);
  const match = /deno (\d+\.\d+\.\d+\S*)/.exec(result.stdout);
  if (result.code !== 0 || !match?.[1]) {
    throw new Error(
      `${denoPath} --version failed: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return match[1];
}
