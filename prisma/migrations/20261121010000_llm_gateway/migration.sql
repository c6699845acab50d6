-- LLM gateway: usage events, tenant routing, per-key budgets and soft-threshold alerts.

-- CreateEnum
CREATE TYPE "LlmCallStatus" AS ENUM ('SUCCEEDED', 'FAILED', 'ABORTED');

-- Budgets may now be per API key as well as per tenant.
ALTER TABLE "budget_policies" ADD COLUMN "api_key_id" UUID;
DROP INDEX "budget_policies_tenant_id_period_key";
CREATE UNIQUE INDEX "budget_policies_tenant_id_api_key_id_period_key" ON "budget_policies"("tenant_id", "api_key_id", "period");
ALTER TABLE "budget_policies" ADD CONSTRAINT "budget_policies_api_key_id_fkey" FOREIGN KEY ("api_key_id") REFERENCES "api_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "budget_alerts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "scope" TEXT NOT NULL,
    "scope_id" TEXT NOT NULL,
    "period" "BudgetPeriod" NOT NULL,
    "period_start" TIMESTAMPTZ(3) NOT NULL,
    "threshold_pct" INTEGER NOT NULL,
    "limit_micros" BIGINT NOT NULL,
    "spent_micros" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "budget_alerts_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "llm_route_configs" (
    "tenant_id" UUID NOT NULL,
    "config" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "updated_by" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "llm_route_configs_pkey" PRIMARY KEY ("tenant_id")
);

CREATE TABLE "llm_events" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "request_id" TEXT NOT NULL,
    "idempotency_key" TEXT,
    "api_key_id" UUID,
    "user_id" TEXT,
    "run_id" TEXT,
    "step_id" TEXT,
    "model" TEXT NOT NULL,
    "provider" TEXT,
    "provider_model" TEXT,
    "simulated" BOOLEAN NOT NULL DEFAULT false,
    "stream" BOOLEAN NOT NULL DEFAULT false,
    "status" "LlmCallStatus" NOT NULL,
    "error_code" TEXT,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cached_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "latency_ms" INTEGER NOT NULL,
    "ttft_ms" INTEGER,
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "llm_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "budget_alerts_tenant_id_scope_id_period_period_start_key" ON "budget_alerts"("tenant_id", "scope_id", "period", "period_start");
CREATE INDEX "llm_events_tenant_id_created_at_idx" ON "llm_events"("tenant_id", "created_at");
CREATE INDEX "llm_events_tenant_id_run_id_idx" ON "llm_events"("tenant_id", "run_id");

-- AddForeignKey
ALTER TABLE "budget_alerts" ADD CONSTRAINT "budget_alerts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "llm_route_configs" ADD CONSTRAINT "llm_route_configs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Grants: usage events and alerts are append-only for the application role.
GRANT SELECT, INSERT ON "llm_events", "budget_alerts" TO gnomon_app;
GRANT SELECT, INSERT, UPDATE ON "llm_route_configs" TO gnomon_app;

-- Row-Level Security, as for every tenant-owned table.
ALTER TABLE "llm_events" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "llm_events"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "budget_alerts" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "budget_alerts"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "llm_route_configs" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "llm_route_configs"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());
