import type {
  BudgetPolicyView,
  LlmRouteConfigView,
  RateLimits,
  TaskVersionView,
  TaskView,
  ToolView,
} from '@gnomon/contracts';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import { useApiMutation } from './mutation';
import { useCursorPages } from './use-cursor-pages';

// ---- Tasks ----

export const useTasks = (name: string) => useCursorPages<TaskView>('/tasks', { name });

export function useTask(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/tasks', id),
    queryFn: ({ signal }) =>
      api.get<TaskView>(`/tasks/${encodeURIComponent(id)}`, undefined, signal),
  });
}

export const useTaskVersions = (id: string) =>
  useCursorPages<TaskVersionView>(`/tasks/${encodeURIComponent(id)}/versions`);

export function useTaskVersion(id: string, version: number | null) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/tasks', id, 'versions', version),
    queryFn: ({ signal }) =>
      api.get<TaskVersionView>(
        `/tasks/${encodeURIComponent(id)}/versions/${version}`,
        undefined,
        signal,
      ),
    enabled: version !== null,
    staleTime: Infinity, // versions are immutable
  });
}

// ---- Tools ----

export const useTools = () => useCursorPages<ToolView>('/tools');

export const useDeleteTool = () =>
  useApiMutation((api, id: string) => api.send<void>('DELETE', `/tools/${id}`), ['/tools']);

// ---- Model routes, limits, budget ----

function useDocument<T>(path: string) {
  const api = useApi();
  return useQuery({
    queryKey: api.key(path),
    queryFn: ({ signal }) => api.get<T>(path, undefined, signal),
  });
}

export const useLlmRoutes = () => useDocument<LlmRouteConfigView>('/llm-routes');
export const useLimits = () => useDocument<RateLimits>('/limits');
export const useBudget = () => useDocument<{ policies: BudgetPolicyView[] }>('/budget');

export const useSaveLlmRoutes = () =>
  useApiMutation(
    (api, body: unknown) => api.send<LlmRouteConfigView>('PUT', '/llm-routes', body),
    ['/llm-routes', '/audit-log'],
  );

export const useSaveLimits = () =>
  useApiMutation(
    (api, body: unknown) => api.send<RateLimits>('PUT', '/limits', body),
    ['/limits', '/audit-log'],
  );

export const useSaveBudget = () =>
  useApiMutation(
    (api, body: unknown) => api.send<{ policies: BudgetPolicyView[] }>('PUT', '/budget', body),
    ['/budget', '/overview', '/audit-log'],
  );
