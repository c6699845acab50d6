// Redirects and limits of the egress client against real sockets (see EgressFixture).
import { EgressClient } from './egress-client';
import { EgressDenied, EgressFailed } from './egress.errors';
import { EgressFixture, rejection } from '../testing/egress-fixture';
import { FakeUpstream } from '../testing/fake-upstream';
import { HostAllowlist } from './host-allowlist';

describe('EgressClient redirects and limits', () => {
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

  describe('redirects', () => {
    const redirectTo = (location: string, status = 302) => {
      upstream.handler = (request, res) => {
        if (request.url === '/start') {
          res.writeHead(status, { location });
          res.end();
        } else {
          res.end(
            JSON.stringify({
              url: request.url,
              method: request.method,
              headers: request.headers,
              body: request.body.toString(),
            }),
          );
        }
      };
    };

    it('follows an allowed redirect and reports the final URL', async () => {
      redirectTo('/final');
      const response = await client.request({ url: `${api}/start`, allowlist });
      expect(response.status).toBe(200);
      expect(response.url).toBe(`${api}/final`);
      expect(response.redirects).toBe(1);
    });

    it('refuses a redirect to loopback at the hop; the internal server gets nothing', async () => {
      redirectTo(`http://127.0.0.1:${internal.port}/admin`);
      const error = await rejection(client.request({ url: `${api}/start`, allowlist }));
      expect(error).toMatchObject({ code: 'address_forbidden', address: '127.0.0.1' });
      expect(upstream.requests).toHaveLength(1);
      expect(internal.connections).toBe(0);
    });

    it('refuses a redirect to a private address at the hop', async () => {
      redirectTo('http://10.0.0.1/', 307);
      const error = await rejection(client.request({ url: `${api}/start`, allowlist }));
      expect(error).toBeInstanceOf(EgressDenied);
      expect(error).toMatchObject({
        code: 'address_forbidden',
        address: '10.0.0.1',
        url: 'http://10.0.0.1/',
      });
      expect(error.message).toContain('10.0.0.1 is a private-network (RFC 1918) address');
    });

    it('refuses a redirect to a name that resolves to loopback', async () => {
      redirectTo(`http://loopback.test:${internal.port}/`);
      const error = await rejection(client.request({ url: `${api}/start`, allowlist }));
      expect(error).toMatchObject({ code: 'address_forbidden', host: 'loopback.test' });
      expect(internal.connections).toBe(0);
    });

    it('refuses a redirect to a host outside the allowlist', async () => {
      redirectTo(`http://elsewhere.test:${upstream.port}/`);
      const error = await rejection(client.request({ url: `${api}/start`, allowlist }));
      expect(error).toMatchObject({ code: 'host_not_allowed', host: 'elsewhere.test' });
      expect(fx.resolved).toEqual(['api.allowed.test']);
    });

    it('refuses a redirect to another scheme', async () => {
      redirectTo('file:///etc/passwd');
      const error = await rejection(client.request({ url: `${api}/start`, allowlist }));
      expect(error).toMatchObject({ code: 'scheme_not_allowed' });
    });

    it('follows maxRedirects hops and refuses one more', async () => {
      upstream.handler = (request, res) => {
        const left = Number(/^\/hops\/(\d+)$/.exec(request.url)?.[1] ?? 0);
        if (left > 0) res.writeHead(301, { location: `/hops/${left - 1}` }).end();
        else res.end('done');
      };
      const five = await client.request({ url: `${api}/hops/5`, allowlist });
      expect(five).toMatchObject({ status: 200, redirects: 5 });
      upstream.requests.length = 0;
      const error = await rejection(client.request({ url: `${api}/hops/6`, allowlist }));
      expect(error).toMatchObject({ code: 'too_many_redirects' });
      // Six hops were fetched (/hops/6 … /hops/1); the seventh, /hops/0, was never requested.
      expect(upstream.requests.map((r) => r.url)).toEqual([
        '/hops/6',
        '/hops/5',
        '/hops/4',
        '/hops/3',
        '/hops/2',
        '/hops/1',
      ]);
    });

    it('returns the 3xx itself when redirects are not followed', async () => {
      redirectTo('/final');
      const response = await client.request({
        url: `${api}/start`,
        allowlist,
        followRedirects: false,
      });
      expect(response.status).toBe(302);
      expect(response.headers.location).toBe('/final');
      expect(upstream.requests).toHaveLength(1);
    });

    it('turns a POST into a body-less GET on 303 but keeps it on 307', async () => {
      const post = {
        method: 'POST',
        body: Buffer.from('payload'),
        headers: { 'content-type': 'text/plain' },
        allowlist,
      };
      redirectTo('/final', 303);
      const seeOther = JSON.parse(
        (await client.request({ url: `${api}/start`, ...post })).body.toString(),
      );
      expect(seeOther).toMatchObject({ method: 'GET', body: '' });
      expect(seeOther.headers).not.toHaveProperty('content-type');
      redirectTo('/final', 307);
      const temporary = JSON.parse(
        (await client.request({ url: `${api}/start`, ...post })).body.toString(),
      );
      expect(temporary).toMatchObject({ method: 'POST', body: 'payload' });
      expect(temporary.headers['content-type']).toBe('text/plain');
    });

    it('drops Authorization and Cookie when the redirect changes origin, not otherwise', async () => {
      const secrets = {
        authorization: 'Bearer tool-secret',
        cookie: 'session=1',
        'x-other': 'kept',
      };
      redirectTo(`http://other.allowed.test:${upstream.port}/final`);
      const crossOrigin = JSON.parse(
        (
          await client.request({ url: `${api}/start`, headers: secrets, allowlist })
        ).body.toString(),
      );
      expect(crossOrigin.headers.host).toBe(`other.allowed.test:${upstream.port}`);
      expect(crossOrigin.headers).not.toHaveProperty('authorization');
      expect(crossOrigin.headers).not.toHaveProperty('cookie');
      expect(crossOrigin.headers['x-other']).toBe('kept');
      expect(upstream.requests[0]?.headers.authorization).toBe('Bearer tool-secret');

      redirectTo('/final');
      const sameOrigin = JSON.parse(
        (
          await client.request({ url: `${api}/start`, headers: secrets, allowlist })
        ).body.toString(),
      );
      expect(sameOrigin.headers.authorization).toBe('Bearer tool-secret');
    });
  });

  describe('limits', () => {
    const big = Buffer.alloc(64 * 1024, 'x');

    it('fails with response_too_large on a declared length over the cap', async () => {
      upstream.handler = (_request, res) =>
        res.writeHead(200, { 'content-length': big.length }).end(big);
      const error = await rejection(
        client.request({ url: api, allowlist, maxResponseBytes: 1024 }),
      );
      expect(error).toBeInstanceOf(EgressFailed);
      expect(error).toMatchObject({ code: 'response_too_large' });
    });

    it('fails with response_too_large on a chunked body over the cap', async () => {
      upstream.handler = (_request, res) => {
        res.writeHead(200);
        for (let i = 0; i < 16; i++) res.write(big.subarray(0, 4096));
        res.end();
      };
      const error = await rejection(
        client.request({ url: api, allowlist, maxResponseBytes: 10_000 }),
      );
      expect(error).toMatchObject({ code: 'response_too_large' });
      const ok = await client.request({ url: api, allowlist, maxResponseBytes: 16 * 4096 });
      expect(ok.body).toHaveLength(16 * 4096);
    });

    it('times out on a server that never answers and closes the connection', async () => {
      upstream.handler = () => undefined;
      const started = Date.now();
      const error = await rejection(
        client.request({ url: `${api}/slow`, allowlist, timeoutMs: 300 }),
      );
      expect(error).toBeInstanceOf(EgressFailed);
      expect(error).toMatchObject({ code: 'timeout' });
      expect(error.message).toContain('api.allowed.test');
      expect(Date.now() - started).toBeLessThan(3_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(upstream.openSockets).toBe(0);
    });

    it('honours an absolute deadline', async () => {
      upstream.handler = () => undefined;
      const error = await rejection(
        client.request({ url: api, allowlist, deadline: Date.now() + 200 }),
      );
      expect(error).toMatchObject({ code: 'timeout' });
    });

    it('stops when the caller aborts', async () => {
      upstream.handler = () => undefined;
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const error = await rejection(
        client.request({ url: api, allowlist, signal: controller.signal }),
      );
      expect(error).toMatchObject({ code: 'aborted' });
    });
  });
});
