import { Inject, Injectable } from '@nestjs/common';
import { generateOpaqueToken, SecretHasher } from '@gnomon/auth';
import type { OidcCallbackQuery, OidcStatusView } from '@gnomon/contracts';
import type { RequestContext } from '@gnomon/http-api';
import type { Logger } from '@gnomon/observability';
import { Clock } from '../auth/clock';
import { RequestAuthenticator } from '../auth/request-authenticator';
import { serializeCookie } from '../auth/session-cookies';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG, LOGGER } from '../platform/tokens';
import { OidcClient } from './oidc-client';
import {
  OIDC_STATE_COOKIE,
  OIDC_STATE_PATH,
  OIDC_STATE_TTL_MS,
  openOidcState,
  pkceChallenge,
  sameText,
  sealOidcState,
} from './oidc-state';
import { oidcNotConfigured, OidcRefusal, type OidcFailure } from './session.errors';
import { SignInService } from './sign-in.service';

/** Where the browser lands after the issuer: the dashboard, or the dashboard with the reason. */
export const AFTER_SIGN_IN = '/admin/';
const failedSignIn = (code: OidcFailure) => `${AFTER_SIGN_IN}?signInError=${code}`;

export interface Redirect {
  location: string;
  cookies: string[];
}

/**
 * Sign-in through the platform's OpenID Connect issuer (e.g. Cognito). /start sends the browser
 * to the issuer with state, nonce and a PKCE challenge, remembering them in a signed cookie;
 * /callback checks the state, redeems the code, verifies the id_token and signs in the member
 * its verified email maps to.
 */
@Injectable()
export class OidcService {
  private readonly client: OidcClient | null;

  constructor(
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly hasher: SecretHasher,
    private readonly signIn: SignInService,
    private readonly requests: RequestAuthenticator,
    private readonly clock: Clock,
  ) {
    const env = config.env;
    this.client =
      env.GNOMON_OIDC_ISSUER && env.GNOMON_OIDC_CLIENT_ID && env.GNOMON_OIDC_REDIRECT_URI
        ? new OidcClient({
            issuer: env.GNOMON_OIDC_ISSUER,
            clientId: env.GNOMON_OIDC_CLIENT_ID,
            clientSecret: env.GNOMON_OIDC_CLIENT_SECRET,
            redirectUri: env.GNOMON_OIDC_REDIRECT_URI,
            scopes: env.GNOMON_OIDC_SCOPES,
          })
        : null;
  }

  status(): OidcStatusView {
    return { enabled: this.client !== null, issuer: this.client?.settings.issuer ?? null };
  }

  async start(tenantId: string | undefined): Promise<Redirect> {
    const client = this.configured();
    const state = {
      state: generateOpaqueToken(),
      nonce: generateOpaqueToken(),
      verifier: generateOpaqueToken(),
      tenantId: tenantId ?? null,
      expiresAt: this.clock.now() + OIDC_STATE_TTL_MS,
    };
    try {
      const location = await client.authorizationUrl({
        state: state.state,
        nonce: state.nonce,
        codeChallenge: pkceChallenge(state.verifier),
      });
      const sealed = sealOidcState(state, this.sign);
      return { location, cookies: [this.stateCookie(sealed, OIDC_STATE_TTL_MS / 1000)] };
    } catch (error) {
      this.logger.warn({ err: error }, 'OIDC issuer discovery failed');
      return { location: failedSignIn('oidc_failed'), cookies: [] };
    }
  }

  async callback(
    query: OidcCallbackQuery,
    stateCookie: string | undefined,
    ctx: RequestContext,
  ): Promise<Redirect> {
    const client = this.configured();
    // The state cookie is single use whatever happens next.
    const cleared = this.stateCookie('', 0);
    try {
      await this.requests.assertNotBlocked(ctx.address);
      if (query.error) throw new OidcRefusal('oidc_denied', `the issuer answered ${query.error}`);
      const state = openOidcState(stateCookie, this.sign, this.clock.now());
      if (!state || !query.state || !sameText(state.state, query.state) || !query.code)
        throw new OidcRefusal('oidc_state', 'the sign-in state is missing, stale or forged');
      const idToken = await client.redeem(query.code, state.verifier);
      const email = await client.verifiedEmail(idToken, state.nonce);
      const opened = await this.signIn.withVerifiedEmail(email, state.tenantId, ctx);
      if (typeof opened === 'string') throw new OidcRefusal(opened, 'no single member to sign in');
      return { location: AFTER_SIGN_IN, cookies: [...opened.cookies, cleared] };
    } catch (error) {
      if (!(error instanceof OidcRefusal)) throw error;
      if (error.code !== 'oidc_denied')
        await this.requests.recordFailure(ctx.address, 'sign_in_oidc');
      this.logger.info(
        { event: 'oidc_sign_in_refused', reason: error.code, detail: error.message },
        'OIDC sign-in refused',
      );
      return { location: failedSignIn(error.code), cookies: [cleared] };
    }
  }

  private readonly sign = (text: string) => this.hasher.hash(`oidc-state:${text}`);

  private configured(): OidcClient {
    if (!this.client) throw oidcNotConfigured();
    return this.client;
  }

  /** Lax, not Strict: the issuer's redirect back is a cross-site navigation. */
  private stateCookie(value: string, maxAgeSeconds: number): string {
    return serializeCookie(OIDC_STATE_COOKIE, value, {
      httpOnly: true,
      secure: this.config.env.GNOMON_SESSION_COOKIE_SECURE,
      sameSite: 'Lax',
      path: OIDC_STATE_PATH,
      maxAgeSeconds,
    });
  }
}
