import { Inject, Injectable } from '@nestjs/common';
import {
  CredentialAuthenticator,
  SessionAuthenticator,
  type AuthFailureLimiter,
  type Principal,
} from '@gnomon/auth';
import { CSRF_HEADER, SESSION_COOKIE } from '@gnomon/contracts';
import { ApiError } from '@gnomon/http-api';
import { MetricsRegistry } from '@gnomon/observability';
import type { FastifyRequest } from 'fastify';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { AUTH_FAILURE_LIMITER } from '../platform/platform.module';
import { CONFIG } from '../platform/tokens';
import { csrfTokenMatches, isMutation } from './csrf';
import { clearedSessionCookies, cookieValue } from './session-cookies';

const CHALLENGE = { 'www-authenticate': 'Bearer realm="gnomon"' };

/**
 * Who is calling: an API key in `Authorization: Bearer`, or else the dashboard's session
 * cookie. A key wins when both are sent (a browser never adds that header on its own, so it
 * needs no CSRF proof); a cookie-authenticated mutation must carry X-CSRF-Token.
 */
@Injectable()
export class RequestAuthenticator {
  constructor(
    private readonly keys: CredentialAuthenticator,
    private readonly sessions: SessionAuthenticator,
    @Inject(AUTH_FAILURE_LIMITER) private readonly failures: AuthFailureLimiter,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    private readonly metrics: MetricsRegistry,
  ) {}

  async authenticate(request: FastifyRequest, address: string): Promise<Principal> {
    const bearer = bearerToken(request);
    const cookie =
      bearer === undefined ? cookieValue(request.headers.cookie, SESSION_COOKIE) : undefined;
    if (cookie) return this.fromSession(request, cookie, address);

    // A key this instance already knows skips the address check: guessing never hits that cache.
    const result = await this.keys.authenticate(bearer, () => this.assertNotBlocked(address));
    if (result.ok) return result.principal;
    this.metrics.authFailures.inc({ reason: result.reason });
    // Only a presented-but-wrong secret is a guess; a missing header is not.
    if (result.reason !== 'missing') await this.failures.recordFailure(address);
    throw new ApiError(
      'unauthenticated',
      result.reason === 'missing'
        ? 'send an API key as "Authorization: Bearer <key>", or sign in'
        : 'invalid or inactive API key',
      { headers: CHALLENGE },
    );
  }

  private async fromSession(
    request: FastifyRequest,
    secret: string,
    address: string,
  ): Promise<Principal> {
    const result = await this.sessions.authenticate(secret, () => this.assertNotBlocked(address));
    if (!result.ok) {
      this.metrics.authFailures.inc({ reason: `session_${result.reason}` });
      // An unknown or malformed cookie is a guess; an ended session is not.
      if (result.reason === 'unknown' || result.reason === 'malformed')
        await this.failures.recordFailure(address);
      throw new ApiError('unauthenticated', 'the session has ended; sign in again', {
        headers: {
          ...CHALLENGE,
          'set-cookie': clearedSessionCookies(this.config.env.GNOMON_SESSION_COOKIE_SECURE)[0],
        },
      });
    }
    const session = result.principal.session;
    const presented = request.headers[CSRF_HEADER.toLowerCase()];
    if (
      isMutation(request.method) &&
      !(session && csrfTokenMatches(session.csrfToken, presented))
    ) {
      this.metrics.authFailures.inc({ reason: 'csrf' });
      throw new ApiError('forbidden', 'missing or invalid CSRF token');
    }
    return result.principal;
  }

  /** A failed sign-in (wrong password, key or link): counted like a wrong key. */
  async recordFailure(address: string, reason: string): Promise<void> {
    this.metrics.authFailures.inc({ reason });
    await this.failures.recordFailure(address);
  }

  /** 429 once this address has failed too often (sign-in checks it before any work). */
  async assertNotBlocked(address: string): Promise<void> {
    const wait = await this.failures.blockedFor(address);
    if (wait > 0) {
      throw new ApiError(
        'too_many_requests',
        'too many failed authentication attempts; slow down',
        { headers: { 'retry-after': String(wait) } },
      );
    }
  }
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}
