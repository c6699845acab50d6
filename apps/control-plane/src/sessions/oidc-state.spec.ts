import { createHmac } from 'node:crypto';
import { openOidcState, pkceChallenge, sealOidcState, type OidcState } from './oidc-state';

const sign = (text: string) => createHmac('sha256', 'test-key').update(text).digest('base64url');
const state: OidcState = {
  state: 'state-value',
  nonce: 'nonce-value',
  verifier: 'v'.repeat(43),
  tenantId: null,
  expiresAt: 10_000,
};

describe('OIDC state cookie', () => {
  it('round-trips until it expires', () => {
    const sealed = sealOidcState(state, sign);
    expect(openOidcState(sealed, sign, 9_999)).toEqual(state);
    expect(openOidcState(sealed, sign, 10_000)).toBeNull();
  });

  it('refuses a tampered payload, a foreign signature, junk and nothing', () => {
    const sealed = sealOidcState(state, sign);
    const [payload, signature] = sealed.split('.');
    const forged = Buffer.from(JSON.stringify({ ...state, expiresAt: 99_999 })).toString(
      'base64url',
    );
    const otherKey = (text: string) =>
      createHmac('sha256', 'other').update(text).digest('base64url');
    for (const cookie of [
      `${forged}.${signature}`,
      `${payload}.${otherKey(payload)}`,
      `${payload}.${signature}.extra`,
      payload,
      'junk',
      undefined,
    ])
      expect(openOidcState(cookie, sign, 0)).toBeNull();
    // Well signed but not a state.
    const odd = Buffer.from(JSON.stringify({ hello: 1 })).toString('base64url');
    expect(openOidcState(`${odd}.${sign(odd)}`, sign, 0)).toBeNull();
  });

  it('computes the RFC 7636 S256 challenge', () => {
    // Appendix B of RFC 7636.
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });
});
