import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AddressPolicy } from './address-policy';
import { EgressClient } from './egress-client';
import { EgressDenied, EgressFailed } from './egress.errors';
import { HostAllowlist } from './host-allowlist';

/**
 * HTTPS through the pinned connection, against a server whose certificate comes from a CA
 * made here with openssl (no network): SNI and the certificate check use the name the tool
 * asked for while the socket goes to the address the policy vetted.
 */
describe('EgressClient over TLS', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gnomon-egress-tls-'));
  let server: Server;
  let port: number;
  let ca: string;
  const seen: { host?: string; servername?: string }[] = [];

  function openssl(...args: string[]) {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  }

  beforeAll(async () => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=Gnomon test CA',
    );
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=api.allowed.test',
    );
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:api.allowed.test\n');
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'san.ext',
    );
    ca = readFileSync(path.join(dir, 'ca.pem'), 'utf8');
    server = createServer(
      {
        key: readFileSync(path.join(dir, 'server.key')),
        cert: readFileSync(path.join(dir, 'server.pem')),
      },
      (req, res) => {
        seen.push({
          host: req.headers.host,
          servername: (req.socket as { servername?: string }).servername,
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ secure: true, path: req.url }));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (extraCaCerts?: string[]) =>
    new EgressClient({
      addressPolicy: new AddressPolicy({ allowCidrs: ['127.0.0.2/32'] }),
      resolve: (host) =>
        host === 'api.allowed.test' || host === 'other.allowed.test'
          ? Promise.resolve([{ address: '127.0.0.2', family: 4 }])
          : Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
      extraCaCerts,
    });

  it('reaches an allowed HTTPS host on the vetted address, with SNI and Host set to its name', async () => {
    const response = await client([ca]).request({
      url: `https://api.allowed.test:${port}/v1/items`,
      allowlist: HostAllowlist.from([`api.allowed.test:${port}`]),
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ secure: true, path: '/v1/items' });
    expect(seen.at(-1)).toEqual({
      host: `api.allowed.test:${port}`,
      servername: 'api.allowed.test',
    });
  });

  it('refuses a certificate that is not for the requested name', async () => {
    const failure = await client([ca])
      .request({
        url: `https://other.allowed.test:${port}/`,
        allowlist: HostAllowlist.from([`other.allowed.test:${port}`]),
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EgressFailed);
    expect((failure as EgressFailed).message).toMatch(/altnames|other\.allowed\.test/i);
  });

  it('refuses a certificate from an untrusted CA', async () => {
    const failure = await client()
      .request({
        url: `https://api.allowed.test:${port}/`,
        allowlist: HostAllowlist.from([`api.allowed.test:${port}`]),
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EgressFailed);
    expect((failure as EgressFailed).message).toMatch(/certificate/i);
  });

  it('still applies the address rules to HTTPS names', async () => {
    const failure = await client([ca])
      .request({
        url: `https://loopback.test:${port}/`,
        allowlist: HostAllowlist.from([`loopback.test:${port}`]),
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EgressDenied);
    expect((failure as EgressDenied).message).toContain('loopback');
  });
});
