import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { MAX_SCRATCH_BYTES, MAX_SCRATCH_FILES } from './sandbox-command';

export interface ScratchFile {
  /** Absolute path on the host, inside the execution directory. */
  path: string;
  /** Path below the scratch directory, with the platform's separator. */
  relativePath: string;
  size: number;
}

export type ScratchListing = { ok: true; files: ScratchFile[] } | { ok: false; message: string };

/** Directory entries visited at most (directories and links count too). */
const MAX_ENTRIES = 4 * MAX_SCRATCH_FILES;

function overLimit(): ScratchListing {
  return {
    ok: false,
    message: `the tool left more than ${MAX_SCRATCH_FILES} files or ${MAX_SCRATCH_BYTES} bytes in its scratch directory`,
  };
}

/**
 * The regular files a tool left in its scratch directory, bounded in count and bytes. Symbolic
 * links (and sockets, FIFOs, devices) are skipped, never followed: they could point anywhere
 * on the host.
 */
export async function listScratchFiles(scratchDir: string): Promise<ScratchListing> {
  const files: ScratchFile[] = [];
  let bytes = 0;
  let entries = 0;
  const pending = [''];
  while (pending.length > 0) {
    const relativeDir = pending.pop() ?? '';
    let names: string[];
    try {
      names = await readdir(path.join(scratchDir, relativeDir));
    } catch {
      continue; // removed or unreadable: nothing to collect
    }
    for (const name of names.sort()) {
      entries += 1;
      if (entries > MAX_ENTRIES) return overLimit();
      const relativePath = path.join(relativeDir, name);
      const full = path.join(scratchDir, relativePath);
      const stat = await lstat(full).catch(() => null);
      if (!stat || stat.isSymbolicLink()) continue;
      if (stat.isDirectory()) {
        pending.push(relativePath);
      } else if (stat.isFile()) {
        bytes += stat.size;
        files.push({ path: full, relativePath, size: stat.size });
        if (files.length > MAX_SCRATCH_FILES || bytes > MAX_SCRATCH_BYTES) return overLimit();
      }
    }
  }
  files.sort((a, b) => a.relativePath.localeCompare(b.relativePath));
  return { ok: true, files };
}
