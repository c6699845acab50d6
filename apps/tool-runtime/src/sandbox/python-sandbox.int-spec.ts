// Python tools: Pyodide inside the same Deno sandbox. Each run pays Pyodide's ~1.5 s cold
// start, so the cases are few and cover the Python-specific routes out.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { SandboxOutcome, SandboxRequest } from './sandbox-runner';
import { LIMITS, sandboxSpecEnvironment, toolRequest } from '../testing/sandbox-test-kit';

jest.setTimeout(60_000);

const { runnerFor, expectHostUntouched, egress } = sandboxSpecEnvironment('python-spec');
const { run: runTool } = runnerFor('auto');
const run = (source: string, extra: Partial<SandboxRequest> = {}): Promise<SandboxOutcome> =>
  runTool(toolRequest(source, { kind: 'python', ...extra }));

describe('Python tools', () => {
  it('maps JSON input to JSON output, with print on stdout and files in scratch', async () => {
    const outcome = await run(
      `import json, os
def main(input, context):
    print('hello from python')
    os.makedirs('charts', exist_ok=True)
    with open('charts/data.json', 'w') as f:
        json.dump({'n': len(input['items'])}, f)
    with open(os.path.join(context['scratch_dir'], 'note.txt'), 'w') as f:
        f.write('hi')
    return {'total': sum(input['items']), 'cwd': os.getcwd(), 'run': context['run_id']}
`,
      { input: { items: [1, 2, 3.5] } },
    );
    expect(outcome.error).toBeNull();
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual({ total: 6.5, cwd: outcome.scratchDir, run: 'run-1' });
    expect(outcome.stdout).toBe('hello from python\n');
    expect(outcome.files).toEqual([
      {
        path: path.join(outcome.scratchDir, 'charts', 'data.json'),
        relativePath: path.join('charts', 'data.json'),
        size: 8,
      },
      { path: path.join(outcome.scratchDir, 'note.txt'), relativePath: 'note.txt', size: 2 },
    ]);
  });

  it('fails clearly on a value that is not JSON', async () => {
    const outcome = await run('def main(input):\n    return {1, 2}\n');
    expect(outcome.status).toBe('FAILED');
    expect(outcome.error?.message).toMatch(/not JSON-serialisable.*set/);
  });

  it('denies reaching host files and the environment through js', async () => {
    const viaFile = await run(
      "import js\ndef main(input):\n    return js.Deno.readTextFileSync('/etc/passwd')\n",
    );
    expect(viaFile.status).toBe('PERMISSION_DENIED');
    expect(viaFile.error?.message).toBe(
      'permission denied: Requires read access to "/etc/passwd" (tools may only use their input and scratch directory)',
    );
    expectHostUntouched(viaFile);
    const viaEnv = await run(
      'import js, os\ndef main(input):\n    return [dict(os.environ), js.Deno.env.toObject().to_py()]\n',
    );
    expect(viaEnv.status).toBe('PERMISSION_DENIED');
    expect(viaEnv.error?.message).toMatch(/environment is not available to tools/);
    expectHostUntouched(viaEnv);
  });

  it('denies host files through js without bubblewrap too', async () => {
    const bare = runnerFor('off');
    const outcome = await bare.run(
      toolRequest(
        "import js\ndef main(input):\n    return js.Deno.readTextFileSync('/etc/passwd')\n",
        { kind: 'python' },
      ),
    );
    expect((await bare.runner.capabilities()).bubblewrap.enabled).toBe(false);
    expect(outcome.status).toBe('PERMISSION_DENIED');
    expect(outcome.error?.message).toMatch(/read access to "\/etc\/passwd"/);
    expectHostUntouched(outcome);
  });

  it('denies starting processes, also below the os module', async () => {
    const sentinel = `gnomon-py-spawn-${randomUUID()}`;
    const viaSubprocess = await run(
      `import subprocess\ndef main(input):\n    subprocess.run(['touch', '/tmp/${sentinel}'])\n`,
    );
    expect(viaSubprocess.status).toBe('PERMISSION_DENIED');
    expect(viaSubprocess.error?.message).toMatch(/starting processes is not available to tools/);
    const viaPosix = await run(
      `import posix\ndef main(input):\n    posix.system('touch /tmp/${sentinel}')\n`,
    );
    expect(viaPosix.status).toBe('PERMISSION_DENIED');
    expect(viaPosix.error?.message).toMatch(/the Python runtime stopped: NotCapable/);
    expectHostUntouched(viaPosix, sentinel);
  });

  it('routes pyfetch through the egress proxy', async () => {
    const outcome = await run(
      `from pyodide.http import pyfetch
async def main(input):
    ok = await (await pyfetch('https://api.allowed.test/ok')).json()
    await pyfetch('https://api.allowed.test/secret')
    return ok
`,
      { allowNet: ['api.allowed.test'] },
    );
    expect(outcome.status).toBe('EGRESS_DENIED');
    expect(outcome.error?.message).toContain('https://api.allowed.test/secret is not in');
    expect(egress.requests.map((r) => r.target)).toEqual([
      'https://api.allowed.test/ok',
      'https://api.allowed.test/secret',
    ]);
  });

  it('kills an infinite loop at the deadline', async () => {
    const outcome = await run('def main(input):\n    while True:\n        pass\n', {
      limits: { ...LIMITS, timeoutMs: 1000 },
    });
    expect(outcome.status).toBe('TIMEOUT');
    expect(outcome.error?.message).toBe('tool exceeded its 1000 ms deadline');
    expectHostUntouched(outcome);
  });

  it('stops a memory bomb at the memory limit', async () => {
    const outcome = await run(
      'def main(input):\n    keep = []\n    while True:\n        keep.append(bytearray(8 * 1024 * 1024))\n',
      { limits: { ...LIMITS, memoryMb: 128 } },
    );
    expect(outcome.status).toBe('MEMORY_LIMIT');
    expect(outcome.error?.message).toMatch(/ran out of memory \(limit 128 MiB\).*MemoryError/);
    expectHostUntouched(outcome);
  });
});
