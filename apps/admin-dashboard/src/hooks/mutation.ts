import { useMutation, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useApi, type TenantApi } from '../api/api-context';

/** Marks every cached read of these API paths (in any tenant scope) as stale. */
export function invalidatePaths(queries: QueryClient, paths: readonly string[]): Promise<void> {
  return queries.invalidateQueries({
    predicate: (query) => {
      const [kind, , path] = query.queryKey;
      return (
        kind === 'tenant' &&
        typeof path === 'string' &&
        paths.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))
      );
    },
  });
}

/**
 * A write through the API in the current tenant scope; on success the reads of `invalidates`
 * (path prefixes) are refetched, so lists show the change.
 */
export function useApiMutation<TInput, TResult>(
  request: (api: TenantApi, input: TInput) => Promise<TResult>,
  invalidates: readonly string[],
) {
  const api = useApi();
  const queries = useQueryClient();
  return useMutation<TResult, Error, TInput>({
    mutationFn: (input) => request(api, input),
    onSuccess: () => invalidatePaths(queries, invalidates),
  });
}
