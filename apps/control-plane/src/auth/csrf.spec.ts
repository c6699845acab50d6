import { csrfTokenMatches, isMutation } from './csrf';

describe('CSRF check', () => {
  it('guards every method that can change state', () => {
    expect(['POST', 'PUT', 'PATCH', 'DELETE', 'post'].map(isMutation)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['GET', 'HEAD', 'OPTIONS'].map(isMutation)).toEqual([false, false, false]);
  });

  it('accepts only the exact token', () => {
    const token = 'qSWhXnXf1lfytjghnCeeUjlW1Cw3_f_lOIA_HewmVao';
    expect(csrfTokenMatches(token, token)).toBe(true);
    expect(csrfTokenMatches(token, `${token.slice(0, -1)}x`)).toBe(false);
    expect(csrfTokenMatches(token, token.slice(0, -1))).toBe(false);
    expect(csrfTokenMatches(token, `${token} `)).toBe(false);
  });

  it('refuses a missing, empty or repeated header', () => {
    const token = 'abc';
    expect(csrfTokenMatches(token, undefined)).toBe(false);
    expect(csrfTokenMatches(token, '')).toBe(false);
    expect(csrfTokenMatches(token, [token, token])).toBe(false);
  });
});
