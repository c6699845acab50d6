import { randomInt } from 'node:crypto';

/**
 * Host uids for executions when the runtime runs as root: each live execution gets its own, so
 * per-uid kernel limits (RLIMIT_NPROC counts threads) apply to that execution alone and two
 * sandboxes never share an owner. 61000–64999 is unassigned on common distributions (Debian
 * reserves it for dynamically created users, rarely used). Another runtime process on the same
 * host picks from the same range at random; a collision only means sharing that thread budget.
 */
export class SandboxUidPool {
  private readonly inUse = new Set<number>();

  constructor(
    private readonly first = 61_000,
    private readonly count = 4_000,
  ) {}

  acquire(): number {
    if (this.inUse.size >= this.count) throw new Error('no free sandbox uid');
    const start = randomInt(this.count);
    for (let i = 0; i < this.count; i += 1) {
      const uid = this.first + ((start + i) % this.count);
      if (!this.inUse.has(uid)) {
        this.inUse.add(uid);
        return uid;
      }
    }
    throw new Error('no free sandbox uid');
  }

  release(uid: number): void {
    this.inUse.delete(uid);
  }
}
