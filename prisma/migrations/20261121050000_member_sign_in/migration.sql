-- Member sign-in for the admin dashboard: password hashes, sessions and one-time sign-in links
-- (invitations and password resets). See docs/adr/0011-dashboard-sessions.md.

-- AlterEnum
-- A person signed in to the dashboard (a session), as an audit actor and key creator.
ALTER TYPE "ActorType" ADD VALUE 'MEMBER';

-- CreateEnum
CREATE TYPE "SessionPrincipal" AS ENUM ('MEMBER', 'PLATFORM_ADMIN');
CREATE TYPE "SignInMethod" AS ENUM ('PASSWORD', 'LINK', 'OIDC', 'ADMIN_KEY');
CREATE TYPE "MemberLinkPurpose" AS ENUM ('INVITATION', 'PASSWORD_RESET');

-- AlterTable
-- argon2id (PHC string); null until the member accepts an invitation or a reset link.
ALTER TABLE "members" ADD COLUMN "password_hash" TEXT,
    ADD COLUMN "password_set_at" TIMESTAMPTZ(3);

-- CreateTable
-- A signed-in browser. Only the HMAC of the cookie's secret is stored. Member sessions belong
-- to the member's tenant; platform-admin sessions have no tenant.
CREATE TABLE "sessions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID,
    "principal_type" "SessionPrincipal" NOT NULL,
    "member_id" UUID,
    "platform_key_id" UUID,
    "secret_hash" TEXT NOT NULL,
    "method" "SignInMethod" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "idle_expires_at" TIMESTAMPTZ(3) NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "sessions_principal_check" CHECK (
        ("principal_type" = 'MEMBER' AND "tenant_id" IS NOT NULL AND "member_id" IS NOT NULL
            AND "platform_key_id" IS NULL)
        OR ("principal_type" = 'PLATFORM_ADMIN' AND "tenant_id" IS NULL AND "member_id" IS NULL
            AND "platform_key_id" IS NOT NULL)
    )
);

-- A one-time link that lets a member set their password: single use, expiring, hashed.
CREATE TABLE "member_links" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "purpose" "MemberLinkPurpose" NOT NULL,
    "token_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "created_by_type" "ActorType" NOT NULL,
    "created_by_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "member_links_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "members_email_idx" ON "members"("email");
CREATE UNIQUE INDEX "sessions_secret_hash_key" ON "sessions"("secret_hash");
CREATE INDEX "sessions_member_id_idx" ON "sessions"("member_id");
CREATE INDEX "sessions_platform_key_id_idx" ON "sessions"("platform_key_id");
CREATE UNIQUE INDEX "member_links_token_hash_key" ON "member_links"("token_hash");
CREATE INDEX "member_links_member_id_idx" ON "member_links"("member_id");

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_platform_key_id_fkey" FOREIGN KEY ("platform_key_id") REFERENCES "platform_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "member_links" ADD CONSTRAINT "member_links_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "member_links" ADD CONSTRAINT "member_links_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Grants: sessions and links are deleted when they are superseded or their member goes.
GRANT SELECT, INSERT, UPDATE, DELETE ON "sessions", "member_links" TO gnomon_app;

-- Row-Level Security. A member session is visible only inside its tenant; a platform-admin
-- session (no tenant) only to platform-operator transactions.
ALTER TABLE "sessions" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "sessions"
    USING ("tenant_id" = gnomon_current_tenant() OR ("tenant_id" IS NULL AND gnomon_is_platform()))
    WITH CHECK ("tenant_id" = gnomon_current_tenant() OR ("tenant_id" IS NULL AND gnomon_is_platform()));

ALTER TABLE "member_links" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "member_links"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

-- Sign-in happens before the tenant is known. Like gnomon_find_api_key, these definer functions
-- are narrow doors through RLS, each answering for exactly one secret hash or one email.

-- The session of one cookie, with what its principal needs (member, tenant, platform key).
CREATE FUNCTION gnomon_find_session(p_secret_hash text)
    RETURNS TABLE (
        id uuid, tenant_id uuid, principal_type "SessionPrincipal", member_id uuid,
        platform_key_id uuid, last_seen_at timestamptz, idle_expires_at timestamptz,
        expires_at timestamptz, revoked_at timestamptz, member_email text, member_name text,
        member_role "MemberRole", tenant_name text, tenant_status "TenantStatus",
        tenant_deleted_at timestamptz, platform_key_revoked_at timestamptz
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT s.id, s.tenant_id, s.principal_type, s.member_id, s.platform_key_id,
               s.last_seen_at, s.idle_expires_at, s.expires_at, s.revoked_at,
               m.email, m.name, m.role, t.name, t.status, t.deleted_at, p.revoked_at
        FROM sessions s
        LEFT JOIN members m ON m.id = s.member_id
        LEFT JOIN tenants t ON t.id = s.tenant_id
        LEFT JOIN platform_keys p ON p.id = s.platform_key_id
        WHERE s.secret_hash = p_secret_hash
    $$;
REVOKE ALL ON FUNCTION gnomon_find_session(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gnomon_find_session(text) TO gnomon_app;

-- The members with one (lower-cased) email, in tenants that are active and not deleted.
CREATE FUNCTION gnomon_find_sign_in_members(p_email text)
    RETURNS TABLE (
        member_id uuid, tenant_id uuid, tenant_name text, role "MemberRole", password_hash text
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT m.id, m.tenant_id, t.name, m.role, m.password_hash
        FROM members m
        JOIN tenants t ON t.id = m.tenant_id
        WHERE m.email = p_email AND t.status = 'ACTIVE' AND t.deleted_at IS NULL
        ORDER BY t.name, t.id
    $$;
REVOKE ALL ON FUNCTION gnomon_find_sign_in_members(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gnomon_find_sign_in_members(text) TO gnomon_app;

-- The link of one token, in a tenant that is active and not deleted.
CREATE FUNCTION gnomon_find_member_link(p_token_hash text)
    RETURNS TABLE (
        id uuid, tenant_id uuid, member_id uuid, purpose "MemberLinkPurpose",
        expires_at timestamptz, used_at timestamptz
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT l.id, l.tenant_id, l.member_id, l.purpose, l.expires_at, l.used_at
        FROM member_links l
        JOIN tenants t ON t.id = l.tenant_id
        WHERE l.token_hash = p_token_hash AND t.status = 'ACTIVE' AND t.deleted_at IS NULL
    $$;
REVOKE ALL ON FUNCTION gnomon_find_member_link(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gnomon_find_member_link(text) TO gnomon_app;
