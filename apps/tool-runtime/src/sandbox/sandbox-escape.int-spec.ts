// Hostile tools against real Deno (and real bubblewrap when the host has it). Every case asserts
// the status, a clear message, and that the host is untouched: no sentinel file outside the
// execution directory, no process of the execution left running, no host secret in the output.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  sandboxSpecEnvironment,
  toolRequest as request,
  anyExists,
  processesMentioning,
  LIMITS,
} from '../testing/sandbox-test-kit';

jest.setTimeout(60_000);

const { runnerFor, expectHostUntouched, egress } = sandboxSpecEnvironment('sandbox-escape-spec');

describe.each(['auto', 'off'] as const)(
  'SandboxRunner against hostile tools (bubblewrap: %s)',
  (bubblewrap) => {
    const { run } = runnerFor(bubblewrap);

    it('denies reading host files', async () => {
      const outcome = await run(
        request(`export default () => Deno.readTextFileSync('/etc/passwd');`),
      );
      expect(outcome.status).toBe('PERMISSION_DENIED');
      expect(outcome.error?.message).toMatch(/permission denied: .*read access to "\/etc\/passwd"/);
      expectHostUntouched(outcome);
    });

    it('gives no access to the host environment', async () => {
      const probe = await run(
        request(`import process from 'node:process';
      export default () => {
        const seen = {};
        const attempts = {
          denoEnv: () => Deno.env.toObject(),
          denoGet: () => Deno.env.get('GNOMON_SECRET_CANARY'),
          nodeEnv: () => JSON.stringify(process.env),
          procEnviron: () => Deno.readTextFileSync('/proc/self/environ'),
          parentEnviron: () => Deno.readTextFileSync('/proc/' + process.ppid + '/environ'),
        };
        for (const [name, attempt] of Object.entries(attempts)) {
          try { seen[name] = attempt(); } catch (e) { seen[name] = e.name; }
        }
        return seen;
      }`),
      );
      expect(probe.status).toBe('SUCCEEDED');
      expect(probe.output).toEqual({
        denoEnv: 'NotCapable',
        denoGet: 'NotCapable',
        nodeEnv: 'NotCapable',
        procEnviron: 'NotCapable',
        parentEnviron: 'NotCapable',
      });
      expectHostUntouched(probe);
      const uncaught = await run(request(`export default () => Deno.env.get('HOME');`));
      expect(uncaught.status).toBe('PERMISSION_DENIED');
      expect(uncaught.error?.message).toMatch(/environment is not available to tools/);
    });

    it.each([
      [
        'Deno.Command',
        `export default () => new Deno.Command('/bin/sh', { args: ['-c', 'touch SENTINEL'] }).outputSync();`,
      ],
      [
        'node:child_process',
        `import cp from 'node:child_process';
      export default () => cp.execSync('touch SENTINEL');`,
      ],
    ])('denies spawning a process (%s)', async (_via, source) => {
      const sentinel = `gnomon-spawn-${randomUUID()}`;
      const outcome = await run(request(source.replace('SENTINEL', `/tmp/${sentinel}`)));
      expect(outcome.status).toBe('PERMISSION_DENIED');
      expect(outcome.error?.message).toMatch(/permission denied: .*not available to tools/);
      expectHostUntouched(outcome, sentinel);
    });

    it('stops a fork bomb at the first spawn', async () => {
      const outcome = await run(
        request(`import cp from 'node:child_process';
      export default () => {
        for (;;) {
          try { new Deno.Command('/bin/sh', { args: ['-c', ':(){ :|:& };:'] }).spawn(); } catch {}
          cp.spawn('/bin/sh', ['-c', ':(){ :|:& };:']);
        }
      }`),
      );
      expect(outcome.status).toBe('PERMISSION_DENIED');
      expectHostUntouched(outcome);
      expect(processesMentioning(':(){ :|:& };:')).toEqual([]);
    });

    it('denies opening sockets', async () => {
      const server = net.createServer((socket) => socket.destroy());
      let connections = 0;
      server.on('connection', () => (connections += 1));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      try {
        const direct = await run(
          request(
            `export default async () => { await Deno.connect({ hostname: '127.0.0.1', port: ${port} }); };`,
          ),
        );
        expect(direct.status).toBe('PERMISSION_DENIED');
        expect(direct.error?.message).toMatch(/Deno.connect is not available to tools/);
        const viaNode = await run(
          request(`import net from 'node:net';
        export default () => new Promise((resolve, reject) => {
          const socket = net.connect(${port}, '127.0.0.1', resolve);
          socket.on('error', reject);
        });`),
        );
        expect(viaNode.status).toBe('PERMISSION_DENIED');
        expect(viaNode.error?.message).toMatch(/net access to "127.0.0.1:\d+"/);
        expect(connections).toBe(0);
        expectHostUntouched(viaNode);
      } finally {
        server.close();
      }
    });

    it('refuses fetch when the tool has no allowNet', async () => {
      const outcome = await run(
        request(`export default async () => (await fetch('https://example.com/')).status;`),
      );
      expect(outcome).toMatchObject({
        status: 'EGRESS_DENIED',
        error: { message: 'network access is not enabled for this tool' },
      });
      expectHostUntouched(outcome);
    });

    it('sends fetch through the egress proxy, which may deny it', async () => {
      const before = egress.requests.length;
      const outcome = await run(
        request(
          `export default async () => {
          const ok = await (await fetch('https://api.allowed.test/ok', { method: 'POST', body: 'ping' })).json();
          await fetch('https://api.allowed.test/secret');
          return ok;
        }`,
          { allowNet: ['api.allowed.test'] },
        ),
      );
      expect(outcome.status).toBe('EGRESS_DENIED');
      expect(outcome.error?.message).toBe(
        "fake proxy: https://api.allowed.test/secret is not in this tool's allowNet",
      );
      expect(egress.requests.slice(before)).toEqual([
        {
          method: 'POST',
          url: 'http://egress.invalid/',
          target: 'https://api.allowed.test/ok',
          body: 'ping',
        },
        {
          method: 'GET',
          url: 'http://egress.invalid/',
          target: 'https://api.allowed.test/secret',
          body: '',
        },
      ]);
      expect(egress.opened.at(-1)?.allowNet).toEqual(['api.allowed.test']);
      expectHostUntouched(outcome);
    });

    it('returns what the egress proxy answered for an allowed request', async () => {
      const outcome = await run(
        request(`export default async () => (await fetch('https://api.allowed.test/ok')).json();`, {
          allowNet: ['api.allowed.test'],
        }),
      );
      expect(outcome.output).toEqual({ echo: '', target: 'https://api.allowed.test/ok' });
    });

    it('denies writing outside the scratch directory', async () => {
      const sentinel = `gnomon-write-${randomUUID()}`;
      for (const target of [
        `/tmp/${sentinel}`,
        path.join(os.tmpdir(), sentinel),
        'EXEC_DIR/evil.txt',
      ]) {
        const outcome = await run(
          request(`export default (_input, { scratchDir }) =>
          Deno.writeTextFileSync(${JSON.stringify(target)}.replace('EXEC_DIR', scratchDir + '/..'), 'owned');`),
        );
        expect(outcome.status).toBe('PERMISSION_DENIED');
        expect(outcome.error?.message).toMatch(/permission denied: Requires write access/);
        expect(anyExists([path.join(path.dirname(outcome.scratchDir), 'evil.txt')])).toEqual([]);
        expectHostUntouched(outcome, sentinel);
      }
    });

    it('refuses workers (a thread bomb)', async () => {
      const outcome = await run(
        request(`export default () => {
        for (let i = 0; i < 10000; i += 1) new Worker('data:text/javascript,for(;;){}', { type: 'module' });
      }`),
      );
      expect(outcome.status).toBe('PERMISSION_DENIED');
      expect(outcome.error?.message).toMatch(/Worker is not available to tools/);
      expectHostUntouched(outcome);
    });

    it('bounds a node:worker_threads bomb by the OS limits', async () => {
      const outcome = await run(
        request(
          `import { Worker } from 'node:worker_threads';
        export default async () => {
          for (let i = 0; i < 10000; i += 1) {
            new Worker('for(;;){}', { eval: true });
            await new Promise((r) => setTimeout(r, 1));
          }
          return 'all started';
        }`,
          { limits: { ...LIMITS, timeoutMs: 5000 } },
        ),
      );
      // Each isolate reserves ~512 MiB of address space: RLIMIT_DATA stops the first worker
      // (MEMORY_LIMIT); without prlimit, the per-uid thread limit or the deadline would.
      expect(['MEMORY_LIMIT', 'FAILED', 'TIMEOUT']).toContain(outcome.status);
      expect(outcome.error?.message).toEqual(expect.any(String));
      expectHostUntouched(outcome);
    });
  },
);
