// The egress client against real sockets (see EgressFixture: "public" upstream on 127.0.0.2,
// internal server on 127.0.0.1, names mapped by a fake resolver). HTTPS end to end, with a CA
// made by openssl, is in egress-client-tls.int-spec.ts.
import { AddressPolicy } from './address-policy';
import { EgressClient } from './egress-client';
import { EgressDenied } from './egress.errors';
import { EgressFixture, rejection } from '../testing/egress-fixture';
import { FakeUpstream } from '../testing/fake-upstream';
import { HostAllowlist } from './host-allowlist';

describe('EgressClient', () => {
  let fx: EgressFixture;
  let upstream: FakeUpstream;
  let internal: FakeUpstream;
  let client: EgressClient;
  let allowlist: HostAllowlist;
  let api: string;

  beforeAll(async () => {
    fx = await EgressFixture.start();
    ({ upstream, internal, client, allowlist, api } = fx);
  });
  beforeEach(() => fx.reset());
  afterAll(() => fx.close());

  it('sends an allowed GET to the vetted address with the name in the Host header', async () => {
    const response = await client.request({
      url: `${api}/items?q=1`,
      headers: {
        host: 'evil.test',
        'proxy-authorization': 'Basic c2VjcmV0',
        connection: 'x-hop',
        'x-hop': 'dropped',
        'accept-encoding': 'gzip, br',
        'x-tool': 'kept',
      },
      allowlist,
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-upstream']).toBe('yes');
    expect(response.url).toBe(`${api}/items?q=1`);
    expect(response.redirects).toBe(0);
    const seen = JSON.parse(response.body.toString('utf8'));
    expect(seen).toMatchObject({ method: 'GET', url: '/items?q=1' });
    expect(seen.headers.host).toBe(`api.allowed.test:${upstream.port}`);
    expect(seen.headers['x-tool']).toBe('kept');
    expect(seen.headers['accept-encoding']).toBe('identity');
    expect(seen.headers).not.toHaveProperty('proxy-authorization');
    expect(seen.headers).not.toHaveProperty('x-hop');
  });

  it('sends an allowed POST with its body and passes the status through', async () => {
    upstream.handler = (request, res) => {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end(
        `got ${request.method} ${request.headers['content-type']} ${request.body.toString()}`,
      );
    };
    const response = await client.request({
      url: `${api}/items`,
      method: 'post',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"a":1}'),
      allowlist,
    });
    expect(response.status).toBe(201);
    expect(response.body.toString()).toBe('got POST application/json {"a":1}');
    expect(upstream.requests[0]?.headers['content-length']).toBe('7');
  });

  it('refuses a host outside the allowlist before resolving or connecting', async () => {
    const error = await rejection(
      client.request({ url: `http://not-allowed.test:${upstream.port}/`, allowlist }),
    );
    expect(error).toBeInstanceOf(EgressDenied);
    expect(error).toMatchObject({ code: 'host_not_allowed', host: 'not-allowed.test' });
    expect(error.message).toContain(
      `not-allowed.test:${upstream.port} is not in the tool's allowNet`,
    );
    expect(fx.resolved).toEqual([]);
    expect(upstream.connections).toBe(0);
  });

  it('refuses an allowed host on a port its entry does not grant', async () => {
    const error = await rejection(client.request({ url: 'http://api.allowed.test/', allowlist }));
    expect(error).toMatchObject({ code: 'host_not_allowed' });
    expect(fx.resolved).toEqual([]);
  });

  describe('refuses every spelling of a forbidden address without connecting', () => {
    const cases: [string, (ip: number) => string, string, string][] = [
      ['loopback', (p) => `http://127.0.0.1:${p}/`, '127.0.0.1', 'loopback'],
      ['IPv6 loopback', (p) => `http://[::1]:${p}/`, '::1', 'loopback'],
      ['metadata', () => 'http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'metadata'],
      ['private', () => 'http://10.0.0.1/', '10.0.0.1', 'private'],
      ['decimal', (p) => `http://2130706433:${p}/`, '127.0.0.1', 'loopback'],
      ['hex', (p) => `http://0x7f000001:${p}/`, '127.0.0.1', 'loopback'],
      ['octal', (p) => `http://0177.0.0.1:${p}/`, '127.0.0.1', 'loopback'],
      ['shorthand', (p) => `http://127.1:${p}/`, '127.0.0.1', 'loopback'],
      ['IPv4-mapped', (p) => `http://[::ffff:127.0.0.1]:${p}/`, '::ffff:7f00:1', 'loopback'],
      ['IPv4-mapped hex', (p) => `http://[::ffff:7f00:1]:${p}/`, '::ffff:7f00:1', 'loopback'],
      ['NAT64 metadata', () => 'http://[64:ff9b::a9fe:a9fe]/', '64:ff9b::a9fe:a9fe', 'metadata'],
      ['AWS IPv6 metadata', () => 'http://[fd00:ec2::254]/', 'fd00:ec2::254', 'metadata'],
    ];
    it.each(cases)('%s', async (_name, url, address, category) => {
      const error = await rejection(client.request({ url: url(internal.port), allowlist }));
      expect(error).toBeInstanceOf(EgressDenied);
      expect(error).toMatchObject({ code: 'address_forbidden', address });
      expect(error.message).toContain(category === 'metadata' ? 'cloud metadata' : category);
      expect(fx.resolved).toEqual([]);
      expect(internal.connections).toBe(0);
    });
  });

  it('refuses an IPv6 zone id (the URL parser itself rejects it)', async () => {
    const error = await rejection(client.request({ url: 'http://[fe80::1%25eth0]/', allowlist }));
    expect(error).toMatchObject({ code: 'invalid_url' });
  });

  it('refuses a name that resolves to loopback, naming the host, address and reason', async () => {
    const error = await rejection(
      client.request({ url: `http://loopback.test:${internal.port}/`, allowlist }),
    );
    expect(error).toMatchObject({
      code: 'address_forbidden',
      host: 'loopback.test',
      address: '127.0.0.1',
    });
    expect(error.message).toBe(
      'egress to loopback.test denied (it resolves to 127.0.0.1): 127.0.0.1 is a loopback address',
    );
    expect(internal.connections).toBe(0);
  });

  it('refuses a name whose answers mix an allowed and a forbidden address', async () => {
    const error = await rejection(
      client.request({ url: `http://rebind.test:${upstream.port}/`, allowlist }),
    );
    expect(error).toMatchObject({ code: 'address_forbidden', address: '127.0.0.1' });
    expect(upstream.connections).toBe(0);
    expect(internal.connections).toBe(0);
  });

  it('resolves once and dials the vetted address: a rebinding answer gets no second chance', async () => {
    // The first answer is public, every later one loopback (a DNS rebinding server).
    let lookups = 0;
    fx.names['flip.test'] = () => (++lookups === 1 ? ['127.0.0.2'] : ['127.0.0.1']);
    const response = await client.request({ url: `http://flip.test:${upstream.port}/`, allowlist });
    expect(response.status).toBe(200);
    expect(fx.resolved).toEqual(['flip.test']);
    expect(upstream.requests[0]?.headers.host).toBe(`flip.test:${upstream.port}`);
    expect(internal.connections).toBe(0);
  });

  it('re-checks the connected peer and sends nothing when it fails', async () => {
    // A policy that approves 127.0.0.2 at resolution but not once connected stands in for a
    // peer that differs from what was vetted; the check must close the socket before writing.
    let calls = 0;
    const fickle = new AddressPolicy({ allowCidrs: ['127.0.0.2/32'] });
    const classify = fickle.classify.bind(fickle);
    fickle.classify = (ip) => (++calls > 1 ? fx.policy.classify('127.0.0.1') : classify(ip));
    const strict = new EgressClient({ addressPolicy: fickle, resolve: fx.resolve });
    const error = await rejection(strict.request({ url: `${api}/`, allowlist }));
    expect(error).toMatchObject({ code: 'address_forbidden', address: '127.0.0.2' });
    expect(error.message).toContain('connected peer 127.0.0.2');
    expect(calls).toBe(2);
    expect(upstream.connections).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(upstream.requests).toHaveLength(0);
  });

  describe('refused requests', () => {
    it('refuses credentials in the URL without echoing them', async () => {
      const error = await rejection(
        client.request({
          url: `http://user:hunter2@api.allowed.test:${upstream.port}/`,
          allowlist,
        }),
      );
      expect(error).toMatchObject({ code: 'credentials_in_url' });
      expect(error.message).not.toContain('hunter2');
      expect(upstream.connections).toBe(0);
    });

    it.each(['ftp://api.allowed.test/', 'file:///etc/passwd', 'gopher://api.allowed.test:70/'])(
      'refuses the scheme of %s',
      async (url) => {
        const error = await rejection(client.request({ url, allowlist }));
        expect(error).toMatchObject({ code: 'scheme_not_allowed' });
      },
    );

    it.each(['CONNECT', 'TRACE'])('refuses the method %s', async (method) => {
      const error = await rejection(client.request({ url: api, method, allowlist }));
      expect(error).toMatchObject({ code: 'method_not_allowed' });
      expect(upstream.connections).toBe(0);
    });

    it('refuses a header value that would split the request', async () => {
      const error = await rejection(
        client.request({ url: api, headers: { 'x-a': 'b\r\nHost: evil' }, allowlist }),
      );
      expect(error).toMatchObject({ code: 'invalid_request' });
      expect(upstream.connections).toBe(0);
    });
  });

  describe('failures', () => {
    it('reports a name that does not resolve as dns_failed', async () => {
      const error = await rejection(
        client.request({ url: `http://unknown.allowed.test:${upstream.port}/`, allowlist }),
      );
      expect(error).toMatchObject({ code: 'dns_failed', host: 'unknown.allowed.test' });
    });

    it('reports a closed port as connect_failed', async () => {
      const closed = await FakeUpstream.start('127.0.0.2');
      const port = closed.port;
      await closed.close();
      const error = await rejection(
        client.request({
          url: `http://api.allowed.test:${port}/`,
          allowlist: HostAllowlist.from([`api.allowed.test:${port}`]),
        }),
      );
      expect(error).toMatchObject({ code: 'connect_failed' });
      expect(error.message).toContain('127.0.0.2');
    });

    it('speaks TLS on the pinned connection for https (a plain HTTP server fails the handshake)', async () => {
      const error = await rejection(
        client.request({ url: `https://api.allowed.test:${upstream.port}/`, allowlist }),
      );
      expect(error).toMatchObject({ code: 'connect_failed' });
      expect(upstream.connections).toBe(1);
      expect(upstream.requests).toHaveLength(0);
    });
  });
});
