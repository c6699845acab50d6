import { Injectable } from '@nestjs/common';
import type { MemberRole } from '@gnomon/contracts';
import { TenantDatabase, type PlatformTx, type TenantTx } from '@gnomon/db';

/** A member an email could sign in as (read before the tenant is known). */
export interface SignInCandidate {
  memberId: string;
  tenantId: string;
  tenantName: string;
  role: MemberRole;
  passwordHash: string | null;
}

export interface LinkRecord {
  id: string;
  tenantId: string;
  memberId: string;
  purpose: 'INVITATION' | 'PASSWORD_RESET';
  expiresAt: Date;
  usedAt: Date | null;
}

export interface NewSession {
  secretHash: string;
  method: 'PASSWORD' | 'LINK' | 'OIDC' | 'ADMIN_KEY';
  createdAt: Date;
  idleExpiresAt: Date;
  expiresAt: Date;
}

/** An ended or superseded session: these rows are deleted when their principal signs in again. */
const ended = (now: Date) => ({
  OR: [{ revokedAt: { not: null } }, { expiresAt: { lte: now } }, { idleExpiresAt: { lte: now } }],
});

/**
 * Sessions, sign-in links and member passwords. Lookups by email or link token run before the
 * tenant is known, through the definer functions of migration 20261121050000; everything else
 * runs inside the member's tenant (RLS) or, for platform-admin sessions, as the platform.
 */
@Injectable()
export class SessionRepository {
  constructor(private readonly db: TenantDatabase) {}

  async findSignInCandidates(email: string): Promise<SignInCandidate[]> {
    const rows = await this.db.anonymous(
      (tx) =>
        tx.$queryRaw<
          {
            member_id: string;
            tenant_id: string;
            tenant_name: string;
            role: MemberRole;
            password_hash: string | null;
          }[]
        >`select * from gnomon_find_sign_in_members(${email})`,
    );
    return rows.map((row) => ({
      memberId: row.member_id,
      tenantId: row.tenant_id,
      tenantName: row.tenant_name,
      role: row.role,
      passwordHash: row.password_hash,
    }));
  }

  async findLink(tokenHash: string): Promise<LinkRecord | null> {
    const rows = await this.db.anonymous(
      (tx) =>
        tx.$queryRaw<
          {
            id: string;
            tenant_id: string;
            member_id: string;
            purpose: LinkRecord['purpose'];
            expires_at: Date;
            used_at: Date | null;
          }[]
        >`select * from gnomon_find_member_link(${tokenHash})`,
    );
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      tenantId: row.tenant_id,
      memberId: row.member_id,
      purpose: row.purpose,
      expiresAt: row.expires_at,
      usedAt: row.used_at,
    };
  }

  findMember(t: TenantTx, memberId: string) {
    return t.db.member.findFirst({
      where: { id: memberId, tenantId: t.scope.tenantId },
      select: { id: true, email: true, name: true, role: true, tenant: { select: { name: true } } },
    });
  }

  /** Marks the link used, once: false when another request used it first or it expired. */
  async consumeLink(t: TenantTx, linkId: string, now: Date): Promise<boolean> {
    const result = await t.db.memberLink.updateMany({
      where: { id: linkId, tenantId: t.scope.tenantId, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    return result.count === 1;
  }

  async setPassword(t: TenantTx, memberId: string, passwordHash: string, now: Date) {
    await t.db.member.update({
      where: { id: memberId, tenantId: t.scope.tenantId },
      data: { passwordHash, passwordSetAt: now },
    });
  }

  async createMemberSession(t: TenantTx, memberId: string, session: NewSession) {
    const tenantId = t.scope.tenantId;
    await t.db.session.deleteMany({ where: { tenantId, memberId, ...ended(session.createdAt) } });
    return t.db.session.create({
      data: {
        ...session,
        tenantId,
        memberId,
        principalType: 'MEMBER',
        lastSeenAt: session.createdAt,
      },
      select: { id: true },
    });
  }

  async createPlatformSession(p: PlatformTx, platformKeyId: string, session: NewSession) {
    await p.db.session.deleteMany({
      where: { tenantId: null, platformKeyId, ...ended(session.createdAt) },
    });
    return p.db.session.create({
      data: {
        ...session,
        tenantId: null,
        platformKeyId,
        principalType: 'PLATFORM_ADMIN',
        lastSeenAt: session.createdAt,
      },
      select: { id: true },
    });
  }

  async revokeMemberSession(t: TenantTx, sessionId: string, now: Date): Promise<void> {
    await t.db.session.updateMany({
      where: { id: sessionId, tenantId: t.scope.tenantId, revokedAt: null },
      data: { revokedAt: now },
    });
  }

  /** Ends every live session of a member; their secret hashes. */
  async revokeMemberSessions(t: TenantTx, memberId: string, now: Date): Promise<string[]> {
    const rows = await t.db.session.updateManyAndReturn({
      where: { tenantId: t.scope.tenantId, memberId, revokedAt: null },
      data: { revokedAt: now },
      select: { secretHash: true },
    });
    return rows.map((row) => row.secretHash);
  }

  /** Secret hashes of a member's live sessions (whose cached role or existence is changing). */
  async memberSessionHashes(t: TenantTx, memberId: string): Promise<string[]> {
    const rows = await t.db.session.findMany({
      where: { tenantId: t.scope.tenantId, memberId, revokedAt: null },
      select: { secretHash: true },
    });
    return rows.map((row) => row.secretHash);
  }

  async revokePlatformSession(p: PlatformTx, sessionId: string, now: Date): Promise<void> {
    await p.db.session.updateMany({
      where: { id: sessionId, tenantId: null, revokedAt: null },
      data: { revokedAt: now },
    });
  }

  /** Ends every live platform-admin session; their secret hashes. */
  async revokePlatformSessions(p: PlatformTx, now: Date): Promise<string[]> {
    const rows = await p.db.session.updateManyAndReturn({
      where: { tenantId: null, revokedAt: null },
      data: { revokedAt: now },
      select: { secretHash: true },
    });
    return rows.map((row) => row.secretHash);
  }

  /** A member's new link; earlier unused links of the member stop working. */
  async replaceLinks(
    t: TenantTx,
    link: {
      memberId: string;
      purpose: LinkRecord['purpose'];
      tokenHash: string;
      expiresAt: Date;
      createdByType: 'PLATFORM_ADMIN' | 'API_KEY' | 'MEMBER';
      createdById: string;
      createdAt: Date;
    },
  ): Promise<void> {
    const tenantId = t.scope.tenantId;
    await t.db.memberLink.deleteMany({ where: { tenantId, memberId: link.memberId } });
    await t.db.memberLink.create({ data: { ...link, tenantId } });
  }
}
