import type { AuditLogView, ProviderWindow } from '@gnomon/contracts';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import type {
  PlatformOverview,
  ProviderHealthView,
  RateLimitHitsView,
  TenantOverview,
  UsageReport,
} from '../api/views';
import { useCursorPages } from './use-cursor-pages';

/** Figures on the overview refresh on their own while the page is open. */
const LIVE_FIGURES_MS = 30_000;

export function useTenantOverview(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/overview'),
    queryFn: ({ signal }) => api.get<TenantOverview>('/overview', undefined, signal),
    refetchInterval: LIVE_FIGURES_MS,
    enabled,
  });
}

export function usePlatformOverview(enabled = true) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/admin/overview'),
    queryFn: ({ signal }) => api.get<PlatformOverview>('/admin/overview', undefined, signal),
    refetchInterval: LIVE_FIGURES_MS,
    enabled,
  });
}

export function useProviderStats(window: ProviderWindow) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/admin/providers', window),
    queryFn: ({ signal }) => api.get<ProviderHealthView>('/admin/providers', { window }, signal),
    refetchInterval: LIVE_FIGURES_MS,
  });
}

export interface DateRange {
  /** ISO 8601 instants (with offset), from inclusive, to exclusive. */
  from: string;
  to: string;
}

export type UsageGroup = UsageReport['groupBy'];

export function useUsage(range: DateRange, groupBy: UsageGroup) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/usage', range, groupBy),
    queryFn: ({ signal }) => api.get<UsageReport>('/usage', { ...range, groupBy }, signal),
  });
}

export function useRateLimitHits(range: DateRange) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/usage/rate-limits', range),
    queryFn: ({ signal }) => api.get<RateLimitHitsView>('/usage/rate-limits', { ...range }, signal),
  });
}

export interface AuditFilters {
  action?: string;
  targetId?: string;
  actorType?: string;
  from?: string;
  to?: string;
}

export const useAuditLog = (filters: AuditFilters) =>
  useCursorPages<AuditLogView>('/audit-log', { ...filters });
