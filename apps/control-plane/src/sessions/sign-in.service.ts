import { Injectable } from '@nestjs/common';
import { CredentialAuthenticator, PasswordHasher } from '@gnomon/auth';
import type { AdminKeySignInBody, SignInBody } from '@gnomon/contracts';
import { TenantDatabase, tenantScope } from '@gnomon/db';
import type { RequestContext } from '@gnomon/http-api';
import { RequestAuthenticator } from '../auth/request-authenticator';
import { tenantRequired, wrongAdminKey, wrongPassword } from './session.errors';
import { SessionRepository, type SignInCandidate } from './session.repository';
import { SessionService, type OpenedSession } from './session.service';

/**
 * The ways into a session: email and password, the platform admin key, and an identity an OIDC
 * issuer vouched for (one-time links: LinkSignInService). Every wrong credential counts against
 * the client address like a wrong API key.
 */
@Injectable()
export class SignInService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly repository: SessionRepository,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly keys: CredentialAuthenticator,
    private readonly requests: RequestAuthenticator,
  ) {}

  async withPassword(body: SignInBody, ctx: RequestContext): Promise<OpenedSession> {
    await this.requests.assertNotBlocked(ctx.address);
    const candidates = (await this.repository.findSignInCandidates(body.email)).filter(
      (c) => c.passwordHash !== null && (!body.tenantId || c.tenantId === body.tenantId),
    );
    const matched: SignInCandidate[] = [];
    for (const candidate of candidates) {
      if (await this.passwords.verify(candidate.passwordHash, body.password))
        matched.push(candidate);
    }
    // Same work and answer for an unknown email as for a wrong password.
    if (candidates.length === 0) await this.passwords.verify(null, body.password);
    if (matched.length === 0) {
      await this.requests.recordFailure(ctx.address, 'sign_in_password');
      throw wrongPassword();
    }
    if (matched.length > 1)
      throw tenantRequired(matched.map((m) => ({ id: m.tenantId, name: m.tenantName })));
    return this.openForCandidate(matched[0], 'PASSWORD', ctx);
  }

  async withAdminKey(body: AdminKeySignInBody, ctx: RequestContext): Promise<OpenedSession> {
    await this.requests.assertNotBlocked(ctx.address);
    const result = await this.keys.authenticate(body.key);
    if (!result.ok || result.principal.type !== 'PLATFORM_ADMIN') {
      await this.requests.recordFailure(ctx.address, 'sign_in_admin_key');
      throw wrongAdminKey();
    }
    return this.sessions.openForPlatformAdmin(result.principal.id, ctx.requestId);
  }

  /** Signs in the one member an issuer-verified email maps to (in `tenantId`, if given). */
  async withVerifiedEmail(
    email: string,
    tenantId: string | null,
    ctx: RequestContext,
  ): Promise<OpenedSession | 'no_member' | 'tenant_required'> {
    const members = (await this.repository.findSignInCandidates(email)).filter(
      (c) => !tenantId || c.tenantId === tenantId,
    );
    if (members.length === 0) return 'no_member';
    if (members.length > 1) return 'tenant_required';
    return this.openForCandidate(members[0], 'OIDC', ctx);
  }

  private openForCandidate(
    candidate: SignInCandidate,
    method: 'PASSWORD' | 'OIDC',
    ctx: RequestContext,
  ): Promise<OpenedSession> {
    return this.db.inTenant(tenantScope(candidate.tenantId), async (t) => {
      // Read again inside the tenant: the member may have gone since the lookup.
      const member = await this.repository.findMember(t, candidate.memberId);
      if (!member) throw wrongPassword();
      return this.sessions.openForMember(t, member, method, ctx.requestId);
    });
  }
}
