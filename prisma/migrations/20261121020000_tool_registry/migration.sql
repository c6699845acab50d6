-- Tool registry: tenants' tools and their immutable versions.

-- CreateTable
CREATE TABLE "tools" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "current_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deleted_at" TIMESTAMPTZ(3),
    CONSTRAINT "tools_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tools_kind_check" CHECK ("kind" IN ('js', 'ts', 'python', 'http')),
    CONSTRAINT "tools_current_version_check" CHECK ("current_version" >= 1)
);

CREATE TABLE "tool_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "tool_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "description" TEXT NOT NULL,
    "source" TEXT,
    "request" JSONB,
    "input_schema" JSONB,
    "output_schema" JSONB,
    "allow_net" TEXT[],
    "limits" JSONB NOT NULL DEFAULT '{}',
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tool_versions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tool_versions_version_check" CHECK ("version" >= 1)
);

-- CreateIndex
-- A plain unique: deleting a tool renames it to `<name>~<id>`, which frees the name (see the
-- Tool model in schema.prisma for why this is not a partial index).
CREATE UNIQUE INDEX "tools_tenant_id_name_key" ON "tools"("tenant_id", "name");
CREATE INDEX "tools_tenant_id_created_at_id_idx" ON "tools"("tenant_id", "created_at", "id");
CREATE UNIQUE INDEX "tool_versions_tool_id_version_key" ON "tool_versions"("tool_id", "version");

-- AddForeignKey
ALTER TABLE "tools" ADD CONSTRAINT "tools_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tool_versions" ADD CONSTRAINT "tool_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tool_versions" ADD CONSTRAINT "tool_versions_tool_id_fkey" FOREIGN KEY ("tool_id") REFERENCES "tools"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Grants: tools are soft-deleted (no DELETE); versions are immutable, like the audit log.
GRANT SELECT, INSERT, UPDATE ON "tools" TO gnomon_app;
GRANT SELECT, INSERT ON "tool_versions" TO gnomon_app;

-- Row-Level Security, as for every tenant-owned table.
ALTER TABLE "tools" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "tools"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "tool_versions" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "tool_versions"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());
