import { Inject, Injectable } from '@nestjs/common';
import { generateOpaqueToken, SecretHasher } from '@gnomon/auth';
import type { MemberLinkView } from '@gnomon/contracts';
import type { TenantTx } from '@gnomon/db';
import type { TenantCaller } from '@gnomon/http-api';
import { AuditTrail } from '../audit/audit-trail';
import { Clock } from '../auth/clock';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG } from '../platform/tokens';
import { SessionRepository, type LinkRecord } from './session.repository';
import { memberPrincipal, type SigningInMember } from './session.service';

/** Where the dashboard accepts a link. */
const ACCEPT_PATH = '/admin/accept';

/**
 * A member's ways in, as the members feature manages them. One-time links let a member set a
 * password: an invitation when the member is added, a reset link on request. The token is shown
 * once, to whoever made the link; only its HMAC is stored. A new link replaces the member's
 * earlier ones.
 */
@Injectable()
export class MemberSignInService {
  constructor(
    private readonly repository: SessionRepository,
    private readonly hasher: SecretHasher,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
  ) {}

  /** Makes a link inside the caller's transaction (the member's creation or a reset request). */
  async issueLink(
    t: TenantTx,
    caller: TenantCaller,
    memberId: string,
    purpose: LinkRecord['purpose'],
  ): Promise<MemberLinkView> {
    const token = generateOpaqueToken();
    const now = this.clock.now();
    const expiresAt = new Date(now + this.config.env.GNOMON_SIGN_IN_LINK_HOURS * 3_600_000);
    await this.repository.replaceLinks(t, {
      memberId,
      purpose,
      tokenHash: this.hasher.hash(token),
      expiresAt,
      createdByType: caller.principal.type,
      createdById: caller.principal.id,
      createdAt: new Date(now),
    });
    await this.audit.record(t, caller, {
      action: purpose === 'INVITATION' ? 'member.invitation_created' : 'member.reset_link_created',
      targetType: 'member',
      targetId: memberId,
      metadata: { expiresAt: expiresAt.toISOString() },
    });
    return {
      token,
      url: `${ACCEPT_PATH}?token=${encodeURIComponent(token)}`,
      expiresAt: expiresAt.toISOString(),
    };
  }

  /** Secret hashes of the member's live sessions, to drop from every cache after a change. */
  sessionHashes(t: TenantTx, memberId: string): Promise<string[]> {
    return this.repository.memberSessionHashes(t, memberId);
  }

  /** The link of a token, if it can still be used (read before its tenant is known). */
  async find(token: string): Promise<LinkRecord | null> {
    const link = await this.repository.findLink(this.hasher.hash(token));
    if (!link || link.usedAt || link.expiresAt.getTime() <= this.clock.now()) return null;
    return link;
  }

  /**
   * Uses the link up and sets the member's password, ending their other sessions (a reset must
   * lock out whoever knew the old password). Null when the link was used meanwhile.
   */
  async redeem(
    t: TenantTx,
    link: LinkRecord,
    passwordHash: string,
    requestId: string,
  ): Promise<{ member: SigningInMember; endedSessions: string[] } | null> {
    const now = new Date(this.clock.now());
    if (!(await this.repository.consumeLink(t, link.id, now))) return null;
    const member = await this.repository.findMember(t, link.memberId);
    if (!member) return null;
    await this.repository.setPassword(t, member.id, passwordHash, now);
    const endedSessions = await this.repository.revokeMemberSessions(t, member.id, now);
    await this.audit.record(
      t,
      { principal: memberPrincipal(t.scope.tenantId, member), requestId },
      {
        action: 'member.password_set',
        targetType: 'member',
        targetId: member.id,
        metadata: { link: link.purpose, endedSessions: endedSessions.length },
      },
    );
    return { member, endedSessions };
  }
}
