import { AddressPolicy, classifyAddress, formatIp, parseHostLiteral } from './address-policy';

describe('parseHostLiteral', () => {
  it.each([
    // Every IPv4 spelling the WHATWG URL parser and inet_aton accept.
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['0x7f.0x0.0x0.0x1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['0x', '0.0.0.0'],
    ['10.1', '10.0.0.1'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['4294967295', '255.255.255.255'],
    ['8.8.8.8', '8.8.8.8'],
  ])('reads IPv4 %s as %s', (input, canonical) => {
    const literal = parseHostLiteral(input);
    expect(literal?.family).toBe(4);
    expect(literal && formatIp(literal)).toBe(canonical);
  });

  it.each([
    ['::1', '::1'],
    ['[::1]', '::1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::', '::'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
    ['::ffff:7f00:1', '::ffff:127.0.0.1'],
    ['[::FFFF:7F00:1]', '::ffff:127.0.0.1'],
    ['::127.0.0.1', '::7f00:1'],
    ['64:ff9b::a9fe:a9fe', '64:ff9b::a9fe:a9fe'],
    ['64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe'],
    ['2002:7f00:1::', '2002:7f00:1::'],
    ['fd00:ec2::254', 'fd00:ec2::254'],
    ['2606:4700:0:0:0:0:0:1111', '2606:4700::1111'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
  ])('reads IPv6 %s as %s', (input, canonical) => {
    const literal = parseHostLiteral(input);
    expect(literal?.family).toBe(6);
    expect(literal && formatIp(literal)).toBe(canonical);
  });

  it.each([
    ['fe80::1%eth0', 'eth0'],
    ['fe80::1%25eth0', '25eth0'],
    ['[fe80::1%2]', '2'],
  ])('keeps the zone id of %s', (input, zone) => {
    expect(parseHostLiteral(input)?.zone).toBe(zone);
  });

  it.each([
    'example.com',
    'localhost',
    '',
    '1.2.3.4.5',
    '256.0.0.1',
    '1.2.3.256.',
    '08.0.0.1', // 8 is not an octal digit
    '0xg.0.0.1',
    '4294967296',
    '1..2',
    '127.0.0.1x',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    '12345::1',
    '::ffff:127.0.0.256',
    '::ffff:127.0.0.01',
    '1.2.3.4::',
    'fe80::1%',
    '[127.0.0.1]',
    '[::1',
  ])('does not read %p as an IP literal', (input) => {
    expect(parseHostLiteral(input)).toBeNull();
  });
});

describe('classifyAddress', () => {
  it.each([
    // The literals of the issue.
    ['127.0.0.1', 'loopback', '127.0.0.1 is a loopback address'],
    ['[::1]', 'loopback', '[::1] (::1) is a loopback address'],
    ['169.254.169.254', 'metadata', '169.254.169.254 is a cloud metadata service address'],
    ['10.1.2.3', 'private', '10.1.2.3 is a private-network (RFC 1918) address'],
    ['2130706433', 'loopback', '2130706433 (127.0.0.1) is a loopback address'],
    ['0x7f000001', 'loopback', '0x7f000001 (127.0.0.1) is a loopback address'],
    ['0177.0.0.1', 'loopback', '0177.0.0.1 (127.0.0.1) is a loopback address'],
    ['127.1', 'loopback', '127.1 (127.0.0.1) is a loopback address'],
    [
      '::ffff:127.0.0.1',
      'loopback',
      '::ffff:127.0.0.1 is an IPv4-mapped address embedding 127.0.0.1, which is a loopback address',
    ],
    [
      '::ffff:7f00:1',
      'loopback',
      '::ffff:7f00:1 (::ffff:127.0.0.1) is an IPv4-mapped address embedding 127.0.0.1, which is a loopback address',
    ],
    [
      '64:ff9b::a9fe:a9fe',
      'metadata',
      '64:ff9b::a9fe:a9fe is a NAT64 address embedding 169.254.169.254, which is a cloud metadata service address',
    ],
    ['fd00:ec2::254', 'metadata', 'fd00:ec2::254 is a cloud metadata service address'],
    ['fe80::1%25eth0', 'link-local', 'fe80::1%25eth0 (fe80::1) is a link-local address'],
  ])('denies %s as %s', (ip, category, reason) => {
    expect(classifyAddress(ip)).toEqual({ allowed: false, category, reason });
  });

  it.each([
    // IPv4 ranges
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['0', 'unspecified'],
    ['127.255.255.254', 'loopback'],
    ['0x7f.0.0.1', 'loopback'],
    ['017700000001', 'loopback'],
    ['127.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['169.254.1.1', 'link-local'],
    ['169.254.170.2', 'metadata'],
    ['169.254.170.23', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['192.0.0.192', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['0xa9fea9fe', 'metadata'],
    ['169.254.43518', 'metadata'],
    ['192.0.0.8', 'protocol-assignment'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.88.99.1', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    // IPv6 ranges
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['2606:4700::1111%eth0', 'link-local'], // a zone id means link-local scope whatever the bits
    ['fe80::a9fe:a9fe', 'metadata'],
    ['fd00:ec2::23', 'metadata'],
    ['fc00::1', 'unique-local'],
    ['fdff:ffff::1', 'unique-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['3fff::1', 'documentation'],
    ['2001:2::1', 'benchmarking'],
    ['2001::1', 'protocol-assignment'], // Teredo
    ['100::1', 'reserved'],
    ['64:ff9b:1::1', 'reserved'],
    ['4000::1', 'reserved'], // outside 2000::/3
    // IPv6 forms embedding a forbidden IPv4
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:0:0', 'unspecified'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::a9fe:a9fe', 'metadata'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::10.0.0.1', 'private'],
    ['64:ff9b::c0a8:101', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:c0a8:0101::', 'private'],
    ['::8.8.8.8', 'deprecated'], // IPv4-compatible has no public use even with a public IPv4
    // Not an address at all
    ['example.com', 'invalid'],
    ['', 'invalid'],
  ])('denies %s as %s', (ip, category) => {
    const verdict = classifyAddress(ip);
    expect(verdict).toMatchObject({ allowed: false, category });
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above CGNAT
    '172.15.255.255', // just below 172.16/12
    '172.32.0.0', // just above 172.16/12
    '169.253.255.255',
    '192.167.255.255',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700::1111',
    '[2606:4700::1111]',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
  ])('allows the public address %s', (ip) => {
    expect(classifyAddress(ip)).toEqual({ allowed: true });
  });
});

describe('AddressPolicy exceptions', () => {
  const policy = new AddressPolicy({
    allowCidrs: ['127.0.0.2/32', '10.20.0.0/16', 'fd12:3456::/32', '169.254.0.0/16'],
  });

  it.each(['127.0.0.2', '::ffff:127.0.0.2', '10.20.30.40', 'fd12:3456::1', '169.254.1.1'])(
    'allows %s, inside an operator exception',
    (ip) => {
      expect(policy.classify(ip)).toEqual({ allowed: true });
    },
  );

  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.21.0.1', 'private'],
    ['fd12:3457::1', 'unique-local'],
    // Metadata stays closed even inside an exception that covers it.
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
  ])('still denies %s (%s)', (ip, category) => {
    expect(policy.classify(ip)).toMatchObject({ allowed: false, category });
  });

  it('does not change the default policy', () => {
    expect(classifyAddress('127.0.0.2')).toMatchObject({ allowed: false, category: 'loopback' });
  });

  it('accepts a bare address as a single-address range', () => {
    expect(new AddressPolicy({ allowCidrs: ['10.0.0.5'] }).classify('10.0.0.5')).toEqual({
      allowed: true,
    });
    expect(new AddressPolicy({ allowCidrs: ['10.0.0.5'] }).classify('10.0.0.6')).toMatchObject({
      allowed: false,
    });
  });

  it.each([
    '10.0.0.0/33',
    'fd00::/129',
    'example.com/8',
    '10.0.0.0/8/8',
    '10.0.0.0/x',
    'fe80::1%eth0/64',
  ])('rejects the malformed exception %p', (cidr) => {
    expect(() => new AddressPolicy({ allowCidrs: [cidr] })).toThrow(/is not a CIDR range/);
  });
});
