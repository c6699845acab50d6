// The sandbox against real Deno (and real bubblewrap when the host has it): what tools may do,
// and the limits (deadline, memory, output) that stop them. Escape attempts are in
// sandbox-escape.int-spec.ts.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { LIMITS } from '../testing/sandbox-test-kit';
import {
  sandboxSpecEnvironment,
  toolRequest as request,
  bubblewrapWorksHere,
  anyExists,
} from '../testing/sandbox-test-kit';

jest.setTimeout(60_000);

const { runnerFor, expectHostUntouched } = sandboxSpecEnvironment('sandbox-runner-spec');

describe.each(['auto', 'off'] as const)('SandboxRunner (bubblewrap: %s)', (bubblewrap) => {
  const { runner, run } = runnerFor(bubblewrap);

  it('reports the isolation layers it uses', async () => {
    const caps = await runner.capabilities();
    expect(caps.deno).toMatch(/^\d+\.\d+\.\d+/);
    expect(caps.bubblewrap.enabled).toBe(bubblewrap === 'auto' && bubblewrapWorksHere());
    expect(caps.bubblewrap.reason).toEqual(expect.any(String));
    expect(caps.osMemoryCap.reason).toEqual(expect.any(String));
  });

  it('maps JSON input to JSON output and passes the context', async () => {
    const outcome = await run(
      request(
        `export default function (input, context) {
          console.log('hello from the tool');
          return { sum: input.a + input.b, context };
        }`,
        { input: { a: 2, b: 3 } },
      ),
    );
    expect(outcome.error).toBeNull();
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.output).toEqual({
      sum: 5,
      context: {
        scratchDir: outcome.scratchDir,
        tenantId: expect.any(String),
        runId: 'run-1',
        stepId: 'step-1',
      },
    });
    expect(outcome.stdout).toBe('hello from the tool\n');
    expect(outcome.stderr).toBe('');
  });

  it('runs an async TypeScript tool with type annotations', async () => {
    const outcome = await run(
      request(
        `interface In { words: string[] }
        export default async (input: In): Promise<{ count: number }> => {
          await new Promise<void>((resolve) => setTimeout(resolve, 20));
          const count: number = input.words.length;
          return { count };
        };`,
        { kind: 'ts', input: { words: ['a', 'b', 'c'] } },
      ),
    );
    expect(outcome.error).toBeNull();
    expect(outcome.output).toEqual({ count: 3 });
  });

  it('returns the files a tool writes to its scratch directory', async () => {
    const outcome = await run(
      request(`export default async (_input, { scratchDir }) => {
        await Deno.mkdir(scratchDir + '/charts');
        await Deno.writeTextFile(scratchDir + '/report.txt', 'hello');
        await Deno.writeFile(scratchDir + '/charts/a.bin', new Uint8Array(1000));
        return 'written';
      }`),
    );
    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.files).toEqual([
      {
        path: path.join(outcome.scratchDir, 'charts', 'a.bin'),
        relativePath: path.join('charts', 'a.bin'),
        size: 1000,
      },
      { path: path.join(outcome.scratchDir, 'report.txt'), relativePath: 'report.txt', size: 5 },
    ]);
    await outcome.dispose();
    expect(anyExists([outcome.scratchDir])).toEqual([]);
  });

  it('runs a tool that never reads its input', async () => {
    const outcome = await run(request('export default () => 42;', { input: { ignored: true } }));
    expect(outcome.output).toBe(42);
  });

  it('fails clearly without a default export function, or with a non-JSON output', async () => {
    const noExport = await run(request('export const x = 1;'));
    expect(noExport.status).toBe('FAILED');
    expect(noExport.error?.message).toMatch(/default export that is a function/);
    const bigint = await run(request('export default () => ({ n: 10n });'));
    expect(bigint.status).toBe('FAILED');
    expect(bigint.error?.message).toMatch(/not JSON-serialisable.*BigInt/);
    const thrown = await run(
      request('export default () => { throw new TypeError("bad input"); };'),
    );
    expect(thrown).toMatchObject({ status: 'FAILED', error: { message: 'TypeError: bad input' } });
  });

  it('refuses remote, JSR and npm imports', async () => {
    for (const [specifier, message] of [
      ['https://deno.land/std/path/mod.ts', /--no-remote is specified/],
      ['jsr:@std/path', /--no-remote is specified/],
      ['npm:lodash', /--no-npm is specified/],
    ] as const) {
      const outcome = await run(request(`import x from '${specifier}'; export default () => x;`));
      expect(outcome.status).toBe('FAILED');
      expect(outcome.error?.message).toMatch(message);
    }
  });

  it('keeps the harness module from the tool', async () => {
    const harness = path.join(realpathSync(__dirname), 'harness', 'lockdown.mjs');
    const outcome = await run(
      request(`import { claimHarness } from 'file://${harness}';
      export default () => claimHarness().finishWithOutput('/tmp', '1', 10);`),
    );
    expect(outcome.status).toBe('PERMISSION_DENIED');
    expect(outcome.error?.message).toMatch(/the sandbox harness is not available to tools/);
  });

  it('takes away cache storage and WebGPU', async () => {
    const outcome = await run(
      request('export default () => [typeof caches, typeof navigator.gpu, typeof Deno.env.get];'),
    );
    expect(outcome.output).toEqual(['undefined', 'undefined', 'function']);
  });

  it('kills an infinite loop at the deadline', async () => {
    const started = performance.now();
    const outcome = await run(
      request('export default () => { for (;;) {} };', { limits: { ...LIMITS, timeoutMs: 1000 } }),
    );
    expect(performance.now() - started).toBeLessThan(1000 + 4000);
    expect(outcome.status).toBe('TIMEOUT');
    expect(outcome.error?.message).toBe('tool exceeded its 1000 ms deadline');
    expectHostUntouched(outcome);
  });

  it('stops a JS heap bomb at the memory limit', async () => {
    const outcome = await run(
      request(
        `export default () => { const keep = []; for (;;) keep.push({ a: Math.random(), b: [1, 2, 3] }); };`,
        {
          limits: { ...LIMITS, memoryMb: 64 },
        },
      ),
    );
    expect(outcome.status).toBe('MEMORY_LIMIT');
    expect(outcome.error?.message).toMatch(/ran out of memory \(limit 64 MiB\)/);
    expectHostUntouched(outcome);
  });

  it('stops an ArrayBuffer bomb at the memory limit', async () => {
    const outcome = await run(
      request(
        `export default () => { const keep = []; for (;;) keep.push(new Uint8Array(16 * 1024 * 1024).fill(1)); };`,
        {
          limits: { ...LIMITS, memoryMb: 64 },
        },
      ),
    );
    expect(outcome.status).toBe('MEMORY_LIMIT');
    expect(outcome.error?.message).toMatch(/ran out of memory/);
    expectHostUntouched(outcome);
  });

  it('stops a tool flooding stdout at the output cap, without buffering it', async () => {
    const started = performance.now();
    const outcome = await run(
      request(`export default () => {
        const line = 'x'.repeat(1024 * 1024);
        for (let i = 0; i < 100; i += 1) console.log(line);
        return 'done';
      }`),
    );
    expect(outcome.status).toBe('OUTPUT_LIMIT');
    expect(outcome.error?.message).toBe(
      'the tool wrote more than 1048576 bytes to stdout and stderr',
    );
    expect(outcome.stdout.length).toBeLessThan(70 * 1024);
    expect(outcome.stdout).toMatch(/more bytes truncated\]$/);
    expect(performance.now() - started).toBeLessThan(5000);
    expectHostUntouched(outcome);
  });

  it('refuses an output value above the output cap', async () => {
    const outcome = await run(
      request(`export default () => ({ blob: 'x'.repeat(2 * 1024 * 1024) });`),
    );
    expect(outcome.status).toBe('OUTPUT_LIMIT');
    expect(outcome.error?.message).toMatch(
      /output is \d+ bytes of JSON, above the limit of 1048576 bytes/,
    );
  });
});
