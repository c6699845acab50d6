import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processesMentioning } from '../testing/sandbox-test-kit';

const ROOT = path.resolve(__dirname, '../../../..');
const SANDBOX = path.join(ROOT, 'dist/apps/tool-runtime/src/sandbox/index.js');

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

/**
 * A runtime that dies (SIGKILL, OOM kill, crash) must not leave a tenant's tool running: its
 * deadline was enforced by the process that is gone. The runner runs in a child process (the
 * built code, as the service runs it) with an endless tool, and the child is killed.
 */
describe.each(['off', 'auto'] as const)('a sandbox whose runtime dies (bubblewrap %s)', (mode) => {
  let runtime: ChildProcess | null = null;
  const workRoot = mkdtempSync(path.join(os.tmpdir(), 'gnomon-orphan-'));

  beforeAll(() => {
    if (!existsSync(SANDBOX))
      execFileSync(process.execPath, ['tools/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
  }, 120_000);
  afterAll(() => {
    if (runtime && runtime.exitCode === null) runtime.kill('SIGKILL');
    for (const line of processesMentioning(workRoot))
      process.kill(Number(line.split(':')[0]), 'SIGKILL');
    rmSync(workRoot, { recursive: true, force: true });
  });

  it('is killed with it', async () => {
    const script = `
      const { SandboxRunner } = require(${JSON.stringify(SANDBOX)});
      const runner = new SandboxRunner({ workRoot: ${JSON.stringify(workRoot)}, bubblewrap: ${JSON.stringify(mode)} });
      void runner.run({
        kind: 'js',
        source: 'export default () => { for (;;) {} }',
        input: {},
        allowNet: [],
        limits: { timeoutMs: 120000, memoryMb: 128, outputBytes: 1048576 },
        context: { tenantId: 't', runId: 'r', stepId: 's' },
      });`;
    runtime = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const sandboxes = () => processesMentioning(workRoot).filter((p) => !p.includes(' -e '));
    // The endless tool is running (its command line names its execution directory).
    expect(await until(() => sandboxes().some((p) => p.includes('deno')), 15_000)).toBe(true);

    runtime.kill('SIGKILL');
    await until(() => sandboxes().length === 0, 5_000);
    // Still none a moment later (a /proc scan can miss a process while it is being reparented).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sandboxes()).toEqual([]);
  }, 30_000);
});
