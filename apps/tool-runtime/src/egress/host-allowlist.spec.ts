import { HostAllowlist } from './host-allowlist';

describe('HostAllowlist', () => {
  const allowlist = HostAllowlist.from([
    'api.example.com',
    '*.cdn.example.net',
    'hooks.example.org:8443',
    'Mixed.Case.Example',
    '8.8.8.8',
    '[2606:4700::1111]:8443',
  ]);

  it.each([
    ['api.example.com', 443],
    ['api.example.com', 80],
    ['API.Example.COM', 443], // compared lower-case
    ['api.example.com.', 443], // trailing dot stripped
    ['mixed.case.example', 443],
    ['a.cdn.example.net', 443], // wildcard: one level
    ['a.b.c.cdn.example.net', 80], // wildcard: any depth
    ['hooks.example.org', 8443],
    ['8.8.8.8', 443],
    ['[2606:4700::1111]', 8443],
    ['2606:4700:0:0::1111', 8443], // the same address, spelled differently
  ])('permits %s:%i', (host, port) => {
    expect(allowlist.permits(host, port)).toBe(true);
  });

  it.each([
    ['example.com', 443], // the parent of an allowed host
    ['evil-api.example.com', 443],
    ['api.example.com.evil.test', 443],
    ['xapi.example.com', 443],
    ['sub.api.example.com', 443], // exact entries do not cover sub-domains
    ['cdn.example.net', 443], // a wildcard does not cover the apex
    ['a.cdnexample.net', 443],
    ['a.cdn.example.net.evil.test', 443],
    ['api.example.com', 8080], // no port in the entry: 80 and 443 only
    ['api.example.com', 22],
    ['hooks.example.org', 443], // a port in the entry: only that port
    ['hooks.example.org', 80],
    ['8.8.4.4', 443],
    ['8.8.8.8', 22],
    ['[2606:4700::1111]', 443],
    ['127.0.0.1', 443],
  ])('refuses %s:%i', (host, port) => {
    expect(allowlist.permits(host, port)).toBe(false);
  });

  it('only matches an IP target against an identical literal entry', () => {
    // A wildcard whose suffix looks numeric does not cover IP literals…
    const numeric = HostAllowlist.from(['*.0.0.1', '*.example.com']);
    expect(numeric.permits('127.0.0.1', 443)).toBe(false);
    // …and a name entry never covers an address, even one it resolves to.
    expect(HostAllowlist.from(['localhost']).permits('127.0.0.1', 80)).toBe(false);
    // Entries in another spelling of the same address still match (both are canonicalized).
    expect(HostAllowlist.from(['127.1']).permits('127.0.0.1', 80)).toBe(true);
  });

  it('permits nothing when empty', () => {
    const empty = HostAllowlist.from([]);
    expect(empty.size).toBe(0);
    expect(empty.permits('api.example.com', 443)).toBe(false);
  });

  it.each([
    'https://api.example.com',
    'api.example.com/path',
    'user@api.example.com',
    '*',
    '*.',
    'a b',
  ])('rejects the invalid entry %p', (entry) => {
    expect(() => HostAllowlist.from([entry])).toThrow(/is not a host/);
  });

  it('rejects port 0', () => {
    expect(() => HostAllowlist.from(['api.example.com:0'])).toThrow(/invalid port/);
  });
});
