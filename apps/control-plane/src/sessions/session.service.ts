import { Inject, Injectable } from '@nestjs/common';
import {
  generateOpaqueToken,
  newSessionTimes,
  SessionAuthenticator,
  type Principal,
  type SessionDetails,
} from '@gnomon/auth';
import { API_KEY_SCOPES, ROLE_SCOPES, type MemberRole, type SessionView } from '@gnomon/contracts';
import { TenantDatabase, tenantScope, type TenantTx } from '@gnomon/db';
import type { RequestContext } from '@gnomon/http-api';
import type { Logger } from '@gnomon/observability';
import { AuditTrail } from '../audit/audit-trail';
import { Clock } from '../auth/clock';
import { clearedSessionCookies, sessionCookies } from '../auth/session-cookies';
import type { ControlPlaneConfig } from '../config/control-plane.config';
import { CONFIG, LOGGER } from '../platform/tokens';
import { notASession, signOutNotAllowed } from './session.errors';
import { SessionRepository, type NewSession } from './session.repository';

/** A member about to be signed in (read inside their tenant). */
export interface SigningInMember {
  id: string;
  email: string;
  name: string;
  role: MemberRole;
  tenant: { name: string };
}

/** A session just opened: what the response sends (cookies) and shows (the view). */
export interface OpenedSession {
  cookies: string[];
  view: SessionView;
}

/** Opens, describes and ends dashboard sessions. */
@Injectable()
export class SessionService {
  constructor(
    private readonly db: TenantDatabase,
    private readonly sessions: SessionRepository,
    private readonly authenticator: SessionAuthenticator,
    private readonly audit: AuditTrail,
    private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: ControlPlaneConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Opens a member's session inside a transaction of their tenant, audited there. */
  async openForMember(
    t: TenantTx,
    member: SigningInMember,
    method: NewSession['method'],
    requestId: string,
  ): Promise<OpenedSession> {
    const { secret, session } = this.newSession(method);
    const row = await this.sessions.createMemberSession(t, member.id, session);
    const principal = memberPrincipal(t.scope.tenantId, member);
    await this.audit.record(
      t,
      { principal, requestId },
      {
        action: 'session.signed_in',
        targetType: 'member',
        targetId: member.id,
        metadata: { method, sessionId: row.id },
      },
    );
    return this.opened(secret, session, principal, {
      id: row.id,
      email: member.email,
      name: member.name,
      tenantName: member.tenant.name,
    });
  }

  /** Opens a platform admin's session (no tenant, so the log records it, not the audit log). */
  async openForPlatformAdmin(platformKeyId: string, requestId: string): Promise<OpenedSession> {
    const { secret, session } = this.newSession('ADMIN_KEY');
    const row = await this.db.asPlatform((p) =>
      this.sessions.createPlatformSession(p, platformKeyId, session),
    );
    this.logger.info(
      { event: 'platform_admin_signed_in', sessionId: row.id, platformKeyId, requestId },
      'platform admin signed in',
    );
    const principal: Principal = {
      type: 'PLATFORM_ADMIN',
      id: platformKeyId,
      tenantId: null,
      memberId: null,
      memberRole: null,
      scopes: new Set(API_KEY_SCOPES),
    };
    return this.opened(secret, session, principal, {
      id: row.id,
      email: null,
      name: null,
      tenantName: null,
    });
  }

  /** The view of the caller's own session; a key (no session) is not signed in. */
  describe(principal: Principal): SessionView {
    if (!principal.session) throw notASession();
    return sessionView(principal, principal.session);
  }

  /** Ends the session this request came with. */
  async signOut(caller: RequestContext): Promise<void> {
    const principal = caller.principal;
    const session = principal?.session;
    if (!principal || !session) throw notASession();
    const now = new Date(this.clock.now());
    if (principal.type === 'MEMBER' && principal.tenantId) {
      await this.db.inTenant(tenantScope(principal.tenantId), async (t) => {
        await this.sessions.revokeMemberSession(t, session.id, now);
        await this.audit.record(t, caller, {
          action: 'session.signed_out',
          targetType: 'member',
          targetId: principal.id,
          metadata: { sessionId: session.id },
        });
      });
    } else {
      await this.db.asPlatform((p) => this.sessions.revokePlatformSession(p, session.id, now));
      this.logger.info(
        { event: 'platform_admin_signed_out', sessionId: session.id },
        'platform admin signed out',
      );
    }
    await this.authenticator.invalidate([session.secretHash]);
  }

  /**
   * Ends every session of the caller: a member's own sessions, or every platform-admin session
   * (from a platform-admin session or with the admin key itself). A tenant API key has none.
   */
  async signOutEverywhere(caller: RequestContext): Promise<number> {
    const principal = caller.principal;
    const now = new Date(this.clock.now());
    let hashes: string[];
    if (principal?.type === 'MEMBER' && principal.tenantId && principal.memberId) {
      const memberId = principal.memberId;
      hashes = await this.db.inTenant(tenantScope(principal.tenantId), async (t) => {
        const ended = await this.sessions.revokeMemberSessions(t, memberId, now);
        await this.audit.record(t, caller, {
          action: 'session.signed_out_everywhere',
          targetType: 'member',
          targetId: memberId,
          metadata: { sessions: ended.length },
        });
        return ended;
      });
    } else if (principal?.type === 'PLATFORM_ADMIN') {
      hashes = await this.db.asPlatform((p) => this.sessions.revokePlatformSessions(p, now));
      this.logger.info(
        { event: 'platform_admin_signed_out_everywhere', sessions: hashes.length },
        'every platform admin session ended',
      );
    } else {
      throw signOutNotAllowed();
    }
    await this.authenticator.invalidate(hashes);
    return hashes.length;
  }

  /** Set-Cookie values that remove the session cookies (after signing out). */
  clearedCookies(): string[] {
    return clearedSessionCookies(this.config.env.GNOMON_SESSION_COOKIE_SECURE);
  }

  /** A fresh secret and the row that stores its hash. */
  private newSession(method: NewSession['method']): { secret: string; session: NewSession } {
    const now = this.clock.now();
    const times = newSessionTimes(now, {
      idleMs: this.config.env.GNOMON_SESSION_IDLE_MINUTES * 60_000,
      absoluteMs: this.config.env.GNOMON_SESSION_ABSOLUTE_HOURS * 3_600_000,
    });
    const secret = generateOpaqueToken();
    return {
      secret,
      session: {
        secretHash: this.authenticator.hash(secret),
        method,
        createdAt: new Date(now),
        idleExpiresAt: new Date(times.idleExpiresAt),
        expiresAt: new Date(times.expiresAt),
      },
    };
  }

  private opened(
    secret: string,
    session: NewSession,
    principal: Principal,
    about: Pick<SessionDetails, 'id' | 'email' | 'name' | 'tenantName'>,
  ): OpenedSession {
    const details: SessionDetails = {
      ...about,
      secretHash: session.secretHash,
      csrfToken: this.authenticator.csrfTokenFor(secret),
      expiresAt: session.expiresAt.getTime(),
      idleExpiresAt: session.idleExpiresAt.getTime(),
    };
    return {
      cookies: sessionCookies(secret, details.csrfToken, {
        secure: this.config.env.GNOMON_SESSION_COOKIE_SECURE,
        expiresAt: details.expiresAt,
        now: session.createdAt.getTime(),
      }),
      view: sessionView(principal, details),
    };
  }
}

/** The principal a member's session carries (also the audit actor of their sign-in). */
export function memberPrincipal(tenantId: string, member: SigningInMember): Principal {
  return {
    type: 'MEMBER',
    id: member.id,
    tenantId,
    memberId: member.id,
    memberRole: member.role,
    scopes: new Set(ROLE_SCOPES[member.role]),
  };
}

function sessionView(principal: Principal, session: SessionDetails): SessionView {
  return {
    principal: {
      type: principal.type === 'MEMBER' ? 'MEMBER' : 'PLATFORM_ADMIN',
      id: principal.id,
      memberId: principal.memberId,
      email: session.email,
      name: session.name,
      role: principal.memberRole,
      tenantId: principal.tenantId,
      tenantName: session.tenantName,
      scopes: [...principal.scopes],
    },
    csrfToken: session.csrfToken,
    expiresAt: new Date(session.expiresAt).toISOString(),
    idleExpiresAt: new Date(session.idleExpiresAt).toISOString(),
  };
}
