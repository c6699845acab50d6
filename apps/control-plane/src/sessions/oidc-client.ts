import { Email } from '@gnomon/contracts';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { OidcRefusal } from './session.errors';

/** The platform's OIDC client registration (GNOMON_OIDC_*). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  redirectUri: string;
  scopes: string;
}

const Discovery = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
});
type Discovery = z.infer<typeof Discovery>;

const TokenResponse = z.object({ id_token: z.string().min(1) });

const DISCOVERY_TTL_MS = 60 * 60_000;
const HTTP_TIMEOUT_MS = 10_000;

/**
 * An OpenID Connect relying party for the authorization-code flow with PKCE: reads the issuer's
 * discovery document (`/.well-known/openid-configuration`, kept an hour), builds the
 * authorization URL, redeems the code and verifies the id_token against the issuer's JWKS
 * (jose fetches and caches the keys, refetching on an unknown `kid`).
 */
export class OidcClient {
  private discovery: { value: Promise<Discovery>; until: number } | null = null;
  private keys: { uri: string; get: JWTVerifyGetKey } | null = null;

  constructor(
    readonly settings: OidcSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async authorizationUrl(params: {
    state: string;
    nonce: string;
    codeChallenge: string;
  }): Promise<string> {
    const { authorization_endpoint } = await this.discover();
    const url = new URL(authorization_endpoint);
    url.search = new URLSearchParams({
      ...Object.fromEntries(url.searchParams),
      response_type: 'code',
      client_id: this.settings.clientId,
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      state: params.state,
      nonce: params.nonce,
      code_challenge: params.codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  /** Redeems an authorization code for the id_token (client_secret_basic when there is one). */
  async redeem(code: string, verifier: string): Promise<string> {
    const { token_endpoint } = await this.discover();
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (this.settings.clientSecret) {
      const id = encodeURIComponent(this.settings.clientId);
      const secret = encodeURIComponent(this.settings.clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    }
    const response = await fetch(token_endpoint, {
      method: 'POST',
      headers,
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: this.settings.redirectUri,
        client_id: this.settings.clientId,
        code_verifier: verifier,
      }),
      redirect: 'error',
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }).catch(() => null);
    if (!response?.ok) throw new OidcRefusal('oidc_failed', 'the issuer refused the code');
    const body = TokenResponse.safeParse(await response.json().catch(() => null));
    if (!body.success) throw new OidcRefusal('oidc_failed', 'the issuer sent no id_token');
    return body.data.id_token;
  }

  /** The verified, lower-cased email of a valid id_token for this client and nonce. */
  async verifiedEmail(idToken: string, nonce: string): Promise<string> {
    const discovery = await this.discover();
    const { payload } = await jwtVerify(idToken, this.jwks(discovery.jwks_uri), {
      issuer: discovery.issuer,
      audience: this.settings.clientId,
      clockTolerance: 60,
    }).catch(() => {
      throw new OidcRefusal('oidc_failed', 'the id_token did not verify');
    });
    if (payload.nonce !== nonce) throw new OidcRefusal('oidc_failed', 'the nonce does not match');
    // With several audiences, the token must have been issued to us (OIDC Core 3.1.3.7).
    if (
      Array.isArray(payload.aud) &&
      payload.aud.length > 1 &&
      payload.azp !== this.settings.clientId
    )
      throw new OidcRefusal('oidc_failed', 'the id_token was issued to another client');
    // Some issuers (older Cognito pools among them) send the claim as a string.
    if (payload.email_verified !== true && payload.email_verified !== 'true')
      throw new OidcRefusal('email_not_verified', 'the issuer has not verified this email');
    const email = Email.safeParse(payload.email);
    if (!email.success) throw new OidcRefusal('oidc_failed', 'the id_token has no usable email');
    return email.data;
  }

  private discover(): Promise<Discovery> {
    if (!this.discovery || this.discovery.until <= this.now()) {
      const value = this.fetchDiscovery();
      this.discovery = { value, until: this.now() + DISCOVERY_TTL_MS };
      // A failed fetch is not kept: the next sign-in tries again.
      value.catch(() => {
        if (this.discovery?.value === value) this.discovery = null;
      });
    }
    return this.discovery.value;
  }

  private async fetchDiscovery(): Promise<Discovery> {
    const base = this.settings.issuer.replace(/\/$/, '');
    const response = await fetch(`${base}/.well-known/openid-configuration`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    }).catch(() => null);
    if (!response?.ok) throw new OidcRefusal('oidc_failed', 'the issuer could not be reached');
    const document = Discovery.safeParse(await response.json().catch(() => null));
    if (!document.success)
      throw new OidcRefusal('oidc_failed', 'the issuer sent an unusable discovery document');
    // OIDC Discovery 4.3: the document must name exactly the issuer we asked.
    if (document.data.issuer !== this.settings.issuer)
      throw new OidcRefusal('oidc_failed', 'the discovery document names another issuer');
    return document.data;
  }

  private jwks(uri: string): JWTVerifyGetKey {
    if (this.keys?.uri !== uri) this.keys = { uri, get: createRemoteJWKSet(new URL(uri)) };
    return this.keys.get;
  }
}
