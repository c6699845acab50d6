-- Run lifecycle: tasks and their immutable versions, runs, steps, approvals, the run event log
-- and tool calls made by runs.

-- CreateEnum
CREATE TYPE "RunStatus" AS ENUM ('PENDING', 'RUNNING', 'AWAITING_APPROVAL', 'SUCCEEDED', 'FAILED', 'BUDGET_EXCEEDED', 'CANCELLED', 'TIMED_OUT');
CREATE TYPE "StepStatus" AS ENUM ('QUEUED', 'RUNNING', 'SUCCEEDED', 'RETRYING', 'FAILED', 'SKIPPED');
CREATE TYPE "ApprovalStatus" AS ENUM ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED');

-- CreateTable
CREATE TABLE "tasks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "current_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tasks_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "tasks_current_version_check" CHECK ("current_version" >= 1)
);

CREATE TABLE "task_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "definition" JSONB NOT NULL,
    "created_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "task_versions_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "task_versions_version_check" CHECK ("version" >= 1)
);

CREATE TABLE "runs" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "task_id" UUID NOT NULL,
    "task_version_id" UUID NOT NULL,
    "task_version" INTEGER NOT NULL,
    "status" "RunStatus" NOT NULL DEFAULT 'PENDING',
    "input" JSONB NOT NULL,
    "output" JSONB,
    "output_ref" TEXT,
    "error" JSONB,
    "idempotency_key" TEXT,
    "request_hash" TEXT,
    "created_by" TEXT,
    "replay_of" UUID,
    "replay_from" TEXT,
    "generation" INTEGER NOT NULL DEFAULT 0,
    "next_seq" INTEGER NOT NULL DEFAULT 1,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "runs_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "steps" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "step_key" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "status" "StepStatus" NOT NULL DEFAULT 'QUEUED',
    "visit" INTEGER NOT NULL DEFAULT 1,
    "turn" INTEGER NOT NULL DEFAULT 1,
    "attempt" INTEGER NOT NULL DEFAULT 1,
    "branch" TEXT,
    "input" JSONB,
    "output" JSONB,
    "output_ref" TEXT,
    "outcome" JSONB,
    "error" JSONB,
    "state" JSONB,
    "input_tokens" INTEGER NOT NULL DEFAULT 0,
    "output_tokens" INTEGER NOT NULL DEFAULT 0,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "model_ms" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),
    CONSTRAINT "steps_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "steps_seq_check" CHECK ("seq" >= 1)
);

CREATE TABLE "approvals" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "step_id" UUID NOT NULL,
    "step_key" TEXT NOT NULL,
    "prompt" TEXT NOT NULL,
    "approver_roles" "MemberRole"[],
    "status" "ApprovalStatus" NOT NULL DEFAULT 'PENDING',
    "task_token" TEXT,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "decided_by" TEXT,
    "decided_at" TIMESTAMPTZ(3),
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "approvals_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "run_events" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "step_id" UUID,
    "type" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "run_events_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "tool_events" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "tenant_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,
    "step_id" UUID NOT NULL,
    "call_key" TEXT NOT NULL,
    "tool_name" TEXT NOT NULL,
    "tool_version" INTEGER NOT NULL,
    "execution_id" TEXT,
    "status" TEXT NOT NULL,
    "input" JSONB,
    "output" JSONB,
    "error" JSONB,
    "duration_ms" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "tool_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tasks_tenant_id_name_key" ON "tasks"("tenant_id", "name");
CREATE INDEX "tasks_tenant_id_created_at_id_idx" ON "tasks"("tenant_id", "created_at", "id");
CREATE UNIQUE INDEX "task_versions_task_id_version_key" ON "task_versions"("task_id", "version");
CREATE UNIQUE INDEX "runs_tenant_id_idempotency_key_key" ON "runs"("tenant_id", "idempotency_key");
CREATE INDEX "runs_tenant_id_created_at_id_idx" ON "runs"("tenant_id", "created_at", "id");
CREATE INDEX "runs_tenant_id_status_created_at_idx" ON "runs"("tenant_id", "status", "created_at");
CREATE INDEX "runs_tenant_id_task_id_created_at_idx" ON "runs"("tenant_id", "task_id", "created_at");
CREATE UNIQUE INDEX "steps_run_id_seq_key" ON "steps"("run_id", "seq");
CREATE INDEX "steps_tenant_id_run_id_idx" ON "steps"("tenant_id", "run_id");
CREATE UNIQUE INDEX "approvals_step_id_key" ON "approvals"("step_id");
CREATE INDEX "approvals_tenant_id_status_created_at_idx" ON "approvals"("tenant_id", "status", "created_at");
CREATE INDEX "approvals_run_id_idx" ON "approvals"("run_id");
CREATE INDEX "run_events_run_id_id_idx" ON "run_events"("run_id", "id");
CREATE UNIQUE INDEX "tool_events_step_id_call_key_key" ON "tool_events"("step_id", "call_key");
CREATE INDEX "tool_events_tenant_id_run_id_idx" ON "tool_events"("tenant_id", "run_id");

-- AddForeignKey
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "task_versions" ADD CONSTRAINT "task_versions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "task_versions" ADD CONSTRAINT "task_versions_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "runs" ADD CONSTRAINT "runs_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "runs" ADD CONSTRAINT "runs_task_id_fkey" FOREIGN KEY ("task_id") REFERENCES "tasks"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "runs" ADD CONSTRAINT "runs_task_version_id_fkey" FOREIGN KEY ("task_version_id") REFERENCES "task_versions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "steps" ADD CONSTRAINT "steps_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "steps" ADD CONSTRAINT "steps_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "approvals" ADD CONSTRAINT "approvals_step_id_fkey" FOREIGN KEY ("step_id") REFERENCES "steps"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "run_events" ADD CONSTRAINT "run_events_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tool_events" ADD CONSTRAINT "tool_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tool_events" ADD CONSTRAINT "tool_events_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "runs"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "tool_events" ADD CONSTRAINT "tool_events_step_id_fkey" FOREIGN KEY ("step_id") REFERENCES "steps"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Grants: versions, run events and tool events are append-only for the application role;
-- nothing of a run is ever deleted by the application.
GRANT SELECT, INSERT, UPDATE ON "tasks", "runs", "steps", "approvals" TO gnomon_app;
GRANT SELECT, INSERT ON "task_versions", "run_events", "tool_events" TO gnomon_app;
GRANT USAGE ON SEQUENCE "run_events_id_seq" TO gnomon_app;

-- Row-Level Security, as for every tenant-owned table.
ALTER TABLE "tasks" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "tasks"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "task_versions" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "task_versions"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "runs" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "runs"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "steps" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "steps"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "approvals" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "approvals"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "run_events" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "run_events"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());

ALTER TABLE "tool_events" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "tool_events"
    USING ("tenant_id" = gnomon_current_tenant())
    WITH CHECK ("tenant_id" = gnomon_current_tenant());
