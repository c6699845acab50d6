// Helpers for the sandbox integration tests: a fake egress proxy on a unix socket, runners that
// clean up after themselves, and checks that a hostile tool left the host untouched.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ToolLimits } from '@gnomon/contracts';
import {
  SandboxRunner,
  type EgressHandle,
  type OpenEgress,
  type SandboxOutcome,
  type SandboxRequest,
} from '../sandbox/sandbox-runner';

export const LIMITS: ToolLimits = { timeoutMs: 10_000, memoryMb: 128, outputBytes: 1024 * 1024 };

export function toolRequest(source: string, extra: Partial<SandboxRequest> = {}): SandboxRequest {
  return {
    kind: 'js',
    source,
    input: null,
    allowNet: [],
    limits: LIMITS,
    context: { tenantId: randomUUID(), runId: 'run-1', stepId: 'step-1' },
    ...extra,
  };
}

export interface FakeEgressRequest {
  method: string;
  url: string | undefined;
  target: string | undefined;
  body: string;
}

/**
 * Speaks the egress proxy's wire format (see harness/lockdown.mjs): answers 200 with a JSON
 * echo for the URLs in `allow`, and 403 + `x-gnomon-egress-denied` for everything else.
 */
export function fakeEgress(allow: readonly string[] = []) {
  const requests: FakeEgressRequest[] = [];
  const opened: { socketPath: string; allowNet: readonly string[] }[] = [];
  const open: OpenEgress = (socketPath, allowNet) =>
    new Promise<EgressHandle>((resolve, reject) => {
      opened.push({ socketPath, allowNet });
      const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          const target = req.headers['x-gnomon-egress-url'];
          const entry = {
            method: req.method ?? '',
            url: req.url,
            target: typeof target === 'string' ? target : undefined,
            body: Buffer.concat(chunks).toString('utf8'),
          };
          requests.push(entry);
          if (entry.target && allow.includes(entry.target)) {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ echo: entry.body, target: entry.target }));
            return;
          }
          const message = `fake proxy: ${entry.target ?? '?'} is not in this tool's allowNet`;
          res.writeHead(403, {
            'content-type': 'application/json',
            'x-gnomon-egress-denied': 'host_not_allowed',
          });
          res.end(JSON.stringify({ error: 'EGRESS_DENIED', code: 'host_not_allowed', message }));
        });
      });
      server.on('error', reject);
      server.listen(socketPath, () =>
        resolve({
          denials: () => [],
          close: () =>
            new Promise<void>((done) => {
              server.closeAllConnections();
              server.close(() => done());
            }),
        }),
      );
    });
  return { open, requests, opened };
}

/** Processes (other than this one) whose command line mentions `text`. */
export function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes(text)) found.push(`${entry}: ${cmdline.slice(0, 200)}`);
  }
  return found;
}

/** Whether bubblewrap can build a sandbox on this host at all (as the runner's probe needs). */
export function bubblewrapWorksHere(): boolean {
  try {
    execFileSync('bwrap', ['--ro-bind', '/', '/', '--unshare-all', '--', '/bin/true'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

export function anyExists(paths: readonly string[]): string[] {
  return paths.filter((p) => existsSync(p));
}

/**
 * Per spec file: a work root of its own, a secret in this process's environment that must
 * never reach a tool, a fake egress proxy allowing one URL, and every outcome disposed.
 */
export function sandboxSpecEnvironment(name: string) {
  const canary = `canary-${randomUUID()}`;
  const workRoot = path.join(os.tmpdir(), `gnomon-${name}-${process.pid}`);
  const egress = fakeEgress(['https://api.allowed.test/ok']);
  const outcomes: SandboxOutcome[] = [];
  beforeAll(() => {
    process.env.GNOMON_SECRET_CANARY = canary;
  });
  afterEach(async () => {
    await Promise.all(outcomes.splice(0).map((o) => o.dispose()));
  });
  afterAll(() => {
    delete process.env.GNOMON_SECRET_CANARY;
    rmSync(workRoot, { recursive: true, force: true });
  });

  const runnerFor = (bubblewrap: 'auto' | 'off') => {
    const runner = new SandboxRunner({ workRoot, bubblewrap, openEgress: egress.open });
    const run = async (request: SandboxRequest) => {
      const outcome = await runner.run(request);
      outcomes.push(outcome);
      return outcome;
    };
    return { runner, run };
  };

  /** No sentinel file in the temp dirs, no process of the execution, no host secret. */
  const expectHostUntouched = (outcome: SandboxOutcome, sentinel?: string) => {
    if (sentinel) {
      const places = [...new Set([path.join(os.tmpdir(), sentinel), path.join('/tmp', sentinel)])];
      expect(anyExists(places)).toEqual([]);
    }
    expect(processesMentioning(path.dirname(outcome.scratchDir))).toEqual([]);
    expect(`${outcome.stdout}${outcome.stderr}${JSON.stringify(outcome.output)}`).not.toContain(
      canary,
    );
  };

  return { workRoot, egress, runnerFor, expectHostUntouched };
}
