-- Reporting (admin dashboard): indexes for the filters and ranges the reports use, and the two
-- platform-wide aggregates of model calls.

-- CreateIndex
-- Platform-wide figures read llm_events by time alone (all tenants).
CREATE INDEX "llm_events_created_at_idx" ON "llm_events"("created_at");
-- Rate-limit hits: one tenant's refusals with one error code over a range.
CREATE INDEX "llm_events_tenant_id_error_code_created_at_idx" ON "llm_events"("tenant_id", "error_code", "created_at");
-- Audit log filters, newest first (the same order as the list's cursor).
CREATE INDEX "audit_logs_tenant_id_action_created_at_id_idx" ON "audit_logs"("tenant_id", "action", "created_at", "id");
CREATE INDEX "audit_logs_tenant_id_target_id_created_at_id_idx" ON "audit_logs"("tenant_id", "target_id", "created_at", "id");

-- Platform-wide figures. llm_events is tenant-isolated by RLS, and platform transactions see no
-- tenant's rows; percentiles over every tenant's calls cannot be put together from per-tenant
-- queries. These definer functions are narrow doors like gnomon_find_api_key: they answer
-- aggregates only (never a row), only inside a platform transaction that acts for no tenant
-- (TenantDatabase.asPlatform), and only for ranges of at most 366 days.
CREATE FUNCTION gnomon_platform_llm_spend(p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (tenant_id uuid, provider text, calls bigint, failed_calls bigint,
                   cost_micros numeric)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT gnomon_is_platform() OR gnomon_current_tenant() IS NOT NULL THEN
        RAISE EXCEPTION 'platform-wide figures need a platform transaction' USING ERRCODE = '42501';
    END IF;
    IF p_from >= p_to OR p_to - p_from > interval '366 days' THEN
        RAISE EXCEPTION 'range must be non-empty and at most 366 days' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        SELECT e.tenant_id, e.provider, count(*), count(*) FILTER (WHERE e.status = 'FAILED'),
               coalesce(sum(e.cost_micros), 0)::numeric
          FROM llm_events e
         WHERE e.created_at >= p_from AND e.created_at < p_to
         GROUP BY e.tenant_id, e.provider;
END
$$;

CREATE FUNCTION gnomon_platform_llm_latency(p_from timestamptz, p_to timestamptz)
    RETURNS TABLE (provider text, model text, calls bigint, failed_calls bigint,
                   p50_ms double precision, p95_ms double precision)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp
    AS $$
BEGIN
    IF NOT gnomon_is_platform() OR gnomon_current_tenant() IS NOT NULL THEN
        RAISE EXCEPTION 'platform-wide figures need a platform transaction' USING ERRCODE = '42501';
    END IF;
    IF p_from >= p_to OR p_to - p_from > interval '366 days' THEN
        RAISE EXCEPTION 'range must be non-empty and at most 366 days' USING ERRCODE = '22023';
    END IF;
    RETURN QUERY
        SELECT e.provider, coalesce(e.provider_model, e.model), count(*),
               count(*) FILTER (WHERE e.status = 'FAILED'),
               percentile_cont(0.5) WITHIN GROUP (ORDER BY e.latency_ms)
                   FILTER (WHERE e.status = 'SUCCEEDED'),
               percentile_cont(0.95) WITHIN GROUP (ORDER BY e.latency_ms)
                   FILTER (WHERE e.status = 'SUCCEEDED')
          FROM llm_events e
         WHERE e.created_at >= p_from AND e.created_at < p_to AND e.provider IS NOT NULL
         GROUP BY 1, 2;
END
$$;

REVOKE ALL ON FUNCTION gnomon_platform_llm_spend(timestamptz, timestamptz),
    gnomon_platform_llm_latency(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gnomon_platform_llm_spend(timestamptz, timestamptz),
    gnomon_platform_llm_latency(timestamptz, timestamptz) TO gnomon_app;
