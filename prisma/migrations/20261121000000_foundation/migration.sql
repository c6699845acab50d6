-- Foundation: tenants, members, API keys, platform keys, audit log, budget and rate-limit
-- policies, provider credentials; the application role and Row-Level Security.

-- CreateEnum
CREATE TYPE "TenantStatus" AS ENUM ('ACTIVE', 'SUSPENDED');
CREATE TYPE "TenantPlan" AS ENUM ('FREE', 'TEAM', 'ENTERPRISE');
CREATE TYPE "MemberRole" AS ENUM ('OWNER', 'ADMIN', 'MEMBER', 'VIEWER');
CREATE TYPE "ActorType" AS ENUM ('PLATFORM_ADMIN', 'API_KEY', 'SERVICE', 'SYSTEM');
CREATE TYPE "BudgetPeriod" AS ENUM ('DAILY', 'MONTHLY');
CREATE TYPE "RateLimitSubject" AS ENUM ('TENANT', 'USER');

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "status" "TenantStatus" NOT NULL DEFAULT 'ACTIVE',
    "plan" "TenantPlan" NOT NULL DEFAULT 'FREE',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "members" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "MemberRole" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "members_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "api_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "member_id" UUID,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "last_four" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "scopes" TEXT[],
    "expires_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),
    "rotated_from_id" UUID,
    "created_by_type" "ActorType" NOT NULL,
    "created_by_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "platform_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "last_four" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "platform_keys_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "audit_logs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "actor_type" "ActorType" NOT NULL,
    "actor_id" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target_type" TEXT NOT NULL,
    "target_id" TEXT,
    "request_id" TEXT NOT NULL,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "audit_logs_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "budget_policies" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "period" "BudgetPeriod" NOT NULL,
    "limit_micros" BIGINT NOT NULL,
    "soft_threshold_pct" INTEGER NOT NULL DEFAULT 80,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "budget_policies_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "rate_limit_policies" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "subject" "RateLimitSubject" NOT NULL,
    "requests_per_minute" INTEGER,
    "tokens_per_minute" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "rate_limit_policies_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "provider_credentials" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "base_url" TEXT,
    "ciphertext" BYTEA NOT NULL,
    "iv" BYTEA NOT NULL,
    "auth_tag" BYTEA NOT NULL,
    "key_version" INTEGER NOT NULL DEFAULT 1,
    "last_four" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    CONSTRAINT "provider_credentials_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "tenants_created_at_id_idx" ON "tenants"("created_at", "id");
CREATE UNIQUE INDEX "members_tenant_id_email_key" ON "members"("tenant_id", "email");
CREATE INDEX "members_tenant_id_created_at_id_idx" ON "members"("tenant_id", "created_at", "id");
CREATE UNIQUE INDEX "api_keys_secret_hash_key" ON "api_keys"("secret_hash");
CREATE INDEX "api_keys_tenant_id_created_at_id_idx" ON "api_keys"("tenant_id", "created_at", "id");
CREATE INDEX "api_keys_member_id_idx" ON "api_keys"("member_id");
CREATE UNIQUE INDEX "platform_keys_name_key" ON "platform_keys"("name");
CREATE UNIQUE INDEX "platform_keys_secret_hash_key" ON "platform_keys"("secret_hash");
CREATE INDEX "audit_logs_tenant_id_created_at_id_idx" ON "audit_logs"("tenant_id", "created_at", "id");
CREATE UNIQUE INDEX "budget_policies_tenant_id_period_key" ON "budget_policies"("tenant_id", "period");
CREATE UNIQUE INDEX "rate_limit_policies_tenant_id_subject_key" ON "rate_limit_policies"("tenant_id", "subject");
CREATE UNIQUE INDEX "provider_credentials_tenant_id_provider_label_key" ON "provider_credentials"("tenant_id", "provider", "label");

-- AddForeignKey
ALTER TABLE "members" ADD CONSTRAINT "members_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_member_id_fkey" FOREIGN KEY ("member_id") REFERENCES "members"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_rotated_from_id_fkey" FOREIGN KEY ("rotated_from_id") REFERENCES "api_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "audit_logs" ADD CONSTRAINT "audit_logs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "budget_policies" ADD CONSTRAINT "budget_policies_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "rate_limit_policies" ADD CONSTRAINT "rate_limit_policies_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "provider_credentials" ADD CONSTRAINT "provider_credentials_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Tenant context: set transaction-locally by the application for every tenant request.
CREATE FUNCTION gnomon_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;

CREATE FUNCTION gnomon_is_platform() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.platform', true), '') = 'on' $$;

-- The application role: no BYPASSRLS, owns nothing, so every policy below applies to it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'gnomon_app') THEN
        CREATE ROLE gnomon_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO gnomon_app;
GRANT SELECT, INSERT, UPDATE ON "tenants" TO gnomon_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON "members", "api_keys", "budget_policies",
    "rate_limit_policies", "provider_credentials" TO gnomon_app;
GRANT SELECT, INSERT, UPDATE ON "platform_keys" TO gnomon_app;
GRANT SELECT, INSERT ON "audit_logs" TO gnomon_app;
GRANT EXECUTE ON FUNCTION gnomon_current_tenant(), gnomon_is_platform() TO gnomon_app;

-- Row-Level Security. Tenant-owned rows are visible and writable only inside their tenant's
-- context; without a context nothing is visible. The tenants table itself is visible to its
-- own tenant, and to platform-admin transactions.
ALTER TABLE "tenants" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_self ON "tenants"
    USING ("id" = gnomon_current_tenant() OR gnomon_is_platform())
    WITH CHECK (gnomon_is_platform());

ALTER TABLE "members" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "members"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "api_keys" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "api_keys"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "audit_logs" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "audit_logs"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "budget_policies" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "budget_policies"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "rate_limit_policies" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "rate_limit_policies"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "provider_credentials" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "provider_credentials"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

-- Credential lookup happens before the tenant is known: this definer function is the one
-- narrow door through RLS, answering for exactly one secret hash.
CREATE FUNCTION gnomon_find_api_key(p_secret_hash text)
    RETURNS TABLE (
        id uuid, tenant_id uuid, member_id uuid, scopes text[], expires_at timestamptz,
        revoked_at timestamptz, tenant_status "TenantStatus", tenant_deleted_at timestamptz,
        member_role "MemberRole"
    )
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
        SELECT k.id, k.tenant_id, k.member_id, k.scopes, k.expires_at, k.revoked_at,
               t.status, t.deleted_at, m.role
        FROM api_keys k
        JOIN tenants t ON t.id = k.tenant_id
        LEFT JOIN members m ON m.id = k.member_id
        WHERE k.secret_hash = p_secret_hash
    $$;
REVOKE ALL ON FUNCTION gnomon_find_api_key(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gnomon_find_api_key(text) TO gnomon_app;
