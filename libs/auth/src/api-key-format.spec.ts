import { crc32, displayParts, generateSecret, parseSecret } from './api-key-format';

describe('API key format', () => {
  it('generates recognisable tenant and platform secrets with 256 random bits and a checksum', () => {
    const tenant = generateSecret('tenant');
    const platform = generateSecret('platform');
    expect(tenant).toMatch(/^gnm_[0-9A-Za-z]{49}$/);
    expect(platform).toMatch(/^gnp_[0-9A-Za-z]{49}$/);
    expect(parseSecret(tenant)).toBe('tenant');
    expect(parseSecret(platform)).toBe('platform');
  });

  it('never repeats', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => generateSecret('tenant')));
    expect(secrets.size).toBe(1000);
  });

  it('rejects a secret with any single character changed (checksum)', () => {
    const secret = generateSecret('tenant');
    let rejected = 0;
    for (let i = 4; i < secret.length; i++) {
      const replacement = secret[i] === 'a' ? 'b' : 'a';
      if (parseSecret(secret.slice(0, i) + replacement + secret.slice(i + 1)) === null)
        rejected += 1;
    }
    expect(rejected).toBe(secret.length - 4);
  });

  it('rejects wrong prefixes, lengths and alphabets', () => {
    const secret = generateSecret('tenant');
    expect(parseSecret(`xyz_${secret.slice(4)}`)).toBeNull();
    expect(parseSecret(secret.slice(0, -1))).toBeNull();
    expect(parseSecret(`${secret}0`)).toBeNull();
    expect(parseSecret(secret.replace(/.$/, '-'))).toBeNull();
    expect(parseSecret('')).toBeNull();
  });

  it('computes the standard CRC-32 (so scanners can reimplement it)', () => {
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('keeps only a display prefix and the last four characters', () => {
    const secret = generateSecret('tenant');
    expect(displayParts(secret)).toEqual({
      prefix: secret.slice(0, 12),
      lastFour: secret.slice(-4),
    });
  });
});
