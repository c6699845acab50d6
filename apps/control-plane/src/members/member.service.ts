import { Injectable } from '@nestjs/common';
import type {
  AddMemberBody,
  MemberLinkView,
  MemberRole,
  MemberView,
  MemberWithInvitation,
  UpdateMemberBody,
} from '@gnomon/contracts';
import { CredentialAuthenticator } from '@gnomon/auth';
import { TenantDatabase, type MemberRow, type TenantScope, type TenantTx } from '@gnomon/db';
import { ApiError, CursorCodec, notFound, toPage, type TenantCaller } from '@gnomon/http-api';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { AuditTrail } from '../audit/audit-trail';
import { isUniqueViolation } from '../platform/prisma-errors';
import { MemberSignInService } from '../sessions/member-sign-in.service';
import { MemberRepository } from './member.repository';

export function memberView(row: MemberRow): MemberView {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

@Injectable()
export class MemberService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly members: MemberRepository,
    private readonly keys: ApiKeyRepository,
    private readonly audit: AuditTrail,
    private readonly authenticator: CredentialAuthenticator,
    private readonly cursors: CursorCodec,
    private readonly signIn: MemberSignInService,
  ) {}

  /** Adds a member with an invitation link (shown only in this answer) to set a password. */
  async add(caller: TenantCaller, body: AddMemberBody): Promise<MemberWithInvitation> {
    assertMayAssign(caller, body.role);
    try {
      return await this.db.inTenant(caller.tenant, async (t) => {
        const member = await this.members.create(t, body);
        await this.audit.record(t, caller, {
          action: 'member.added',
          targetType: 'member',
          targetId: member.id,
          metadata: { email: member.email, role: member.role },
        });
        const invitation = await this.signIn.issueLink(t, caller, member.id, 'INVITATION');
        return { ...memberView(member), invitation };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new ApiError('conflict', `a member with email ${body.email} already exists`);
      throw error;
    }
  }

  list(caller: TenantCaller, limit: number, cursor?: string) {
    const after = cursor ? this.cursors.decode(cursor, 'members', caller.tenant.tenantId) : null;
    return this.db.inTenant(caller.tenant, async (t) =>
      toPage(await this.members.list(t, limit, after), limit, memberView, (last) =>
        this.cursors.encode('members', caller.tenant.tenantId, last),
      ),
    );
  }

  async get(scope: TenantScope, id: string): Promise<MemberView> {
    const member = await this.db.inTenant(scope, (t) => this.members.find(t, id));
    if (!member) throw notFound('member');
    return memberView(member);
  }

  async update(caller: TenantCaller, id: string, body: UpdateMemberBody): Promise<MemberView> {
    const { member, hashes } = await this.db.inTenant(caller.tenant, async (t) => {
      // Only a role change can remove an owner; a rename need not queue behind owner changes.
      const owners = body.role ? await this.members.lockOwners(t) : [];
      const before = await this.members.find(t, id);
      if (!before) throw notFound('member');
      if (body.role && body.role !== before.role) {
        assertMayAssign(caller, body.role);
        assertMayAssign(caller, before.role);
        if (before.role === 'OWNER') assertAnotherOwner(owners, id);
      }
      const after = await this.members.update(t, id, body);
      await this.audit.record(t, caller, {
        action: 'member.updated',
        targetType: 'member',
        targetId: id,
        metadata: {
          ...(body.role && body.role !== before.role
            ? { role: { from: before.role, to: body.role } }
            : {}),
          ...(body.name ? { name: body.name } : {}),
        },
      });
      // The member's keys and sessions are bounded by their role: cached scopes are now stale.
      const roleChanged = body.role !== undefined && body.role !== before.role;
      return { member: after, hashes: roleChanged ? await this.memberCredentialHashes(t, id) : [] };
    });
    await this.authenticator.invalidate(hashes);
    return memberView(member);
  }

  /** Removes a member, revoking every key that acted for them and ending their sessions. */
  async remove(caller: TenantCaller, id: string): Promise<void> {
    const hashes = await this.db.inTenant(caller.tenant, async (t) => {
      const owners = await this.members.lockOwners(t);
      const member = await this.members.find(t, id);
      if (!member) throw notFound('member');
      assertMayAssign(caller, member.role);
      if (member.role === 'OWNER') assertAnotherOwner(owners, id);
      // Sessions and links go with the member row (ON DELETE CASCADE).
      const hashes = await this.memberCredentialHashes(t, id);
      const revoked = await this.keys.revokeForMember(t, id);
      await this.members.delete(t, id);
      await this.audit.record(t, caller, {
        action: 'member.removed',
        targetType: 'member',
        targetId: id,
        metadata: { email: member.email, role: member.role, revokedKeys: revoked },
      });
      return hashes;
    });
    await this.authenticator.invalidate(hashes);
  }

  /**
   * A new reset link for a member; their earlier links stop working. Only owners (or callers
   * not bound to a member) may make one for an owner: the link lets its holder sign in as them.
   */
  async resetLink(caller: TenantCaller, id: string): Promise<MemberLinkView> {
    return this.db.inTenant(caller.tenant, async (t) => {
      const member = await this.members.find(t, id);
      if (!member) throw notFound('member');
      assertMayAssign(caller, member.role);
      return this.signIn.issueLink(t, caller, id, 'PASSWORD_RESET');
    });
  }

  /** Hashes of the member's keys and sessions (both caches share one invalidation channel). */
  private async memberCredentialHashes(t: TenantTx, memberId: string): Promise<string[]> {
    const keys = (await this.keys.forMember(t, memberId)).map((key) => key.secretHash);
    return [...keys, ...(await this.signIn.sessionHashes(t, memberId))];
  }
}

/** Only owners (or callers not bound to a member: platform admins, tenant-wide keys) manage owners. */
function assertMayAssign(caller: TenantCaller, role: MemberRole): void {
  const callerRole = caller.principal.memberRole;
  if (role === 'OWNER' && callerRole !== null && callerRole !== 'OWNER') {
    throw new ApiError('forbidden', 'only owners can grant or take away the owner role');
  }
}

function assertAnotherOwner(owners: string[], leaving: string): void {
  if (owners.filter((id) => id !== leaving).length === 0) {
    throw new ApiError(
      'last_owner',
      'this member is the last owner; make someone else owner first',
    );
  }
}
