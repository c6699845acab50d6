import { Injectable } from '@nestjs/common';
import { PasswordHasher, SessionAuthenticator } from '@gnomon/auth';
import type { AcceptLinkBody } from '@gnomon/contracts';
import { TenantDatabase, tenantScope } from '@gnomon/db';
import type { RequestContext } from '@gnomon/http-api';
import { RequestAuthenticator } from '../auth/request-authenticator';
import { MemberSignInService } from './member-sign-in.service';
import { badLinkToken } from './session.errors';
import { SessionService, type OpenedSession } from './session.service';

/**
 * Accepting an invitation or reset link: sets the password, uses the link up, ends the member's
 * other sessions and signs in, in one transaction, so a link can never be used twice.
 */
@Injectable()
export class LinkSignInService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly links: MemberSignInService,
    private readonly sessions: SessionService,
    private readonly passwords: PasswordHasher,
    private readonly sessionAuth: SessionAuthenticator,
    private readonly requests: RequestAuthenticator,
  ) {}

  async accept(body: AcceptLinkBody, ctx: RequestContext): Promise<OpenedSession> {
    await this.requests.assertNotBlocked(ctx.address);
    const link = await this.links.find(body.token);
    if (!link) {
      await this.requests.recordFailure(ctx.address, 'sign_in_link');
      throw badLinkToken();
    }
    // argon2 is deliberately slow: hash before the transaction, not inside it.
    const passwordHash = await this.passwords.hash(body.password);
    const { opened, ended } = await this.db.inTenant(tenantScope(link.tenantId), async (t) => {
      const redeemed = await this.links.redeem(t, link, passwordHash, ctx.requestId);
      if (!redeemed) throw badLinkToken();
      const opened = await this.sessions.openForMember(t, redeemed.member, 'LINK', ctx.requestId);
      return { opened, ended: redeemed.endedSessions };
    });
    await this.sessionAuth.invalidate(ended);
    return opened;
  }
}
