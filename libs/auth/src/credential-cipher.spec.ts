import { CredentialCipher } from './credential-cipher';

describe('CredentialCipher', () => {
  const cipher = new CredentialCipher('an-encryption-key-for-tests');

  it('round-trips a secret for its tenant, with a fresh IV each time', () => {
    const a = cipher.seal('sk-provider-secret', 'tenant-a');
    const b = cipher.seal('sk-provider-secret', 'tenant-a');
    expect(a.ciphertext.toString('hex')).not.toBe(b.ciphertext.toString('hex'));
    expect(a.ciphertext.includes(Buffer.from('sk-provider'))).toBe(false);
    expect(cipher.open(a, 'tenant-a')).toBe('sk-provider-secret');
  });

  it('refuses a ciphertext moved to another tenant, tampered with, or under another key', () => {
    const sealed = cipher.seal('sk-provider-secret', 'tenant-a');
    expect(() => cipher.open(sealed, 'tenant-b')).toThrow();
    const tampered = { ...sealed, ciphertext: Buffer.from(sealed.ciphertext) };
    tampered.ciphertext[0] ^= 1;
    expect(() => cipher.open(tampered, 'tenant-a')).toThrow();
    expect(() =>
      new CredentialCipher('some-other-encryption-key').open(sealed, 'tenant-a'),
    ).toThrow();
  });
});
