import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import type { Query } from '../api/client';
import { useApi } from '../api/api-context';
import type { Page } from '../api/views';

export const DEFAULT_PAGE_SIZE = 20;
const NO_ITEMS: never[] = [];

export interface CursorPages<T> {
  items: T[];
  isLoading: boolean;
  isFetching: boolean;
  error: Error | null;
  /** 1-based number of the page shown. */
  page: number;
  hasNext: boolean;
  hasPrevious: boolean;
  next: () => void;
  previous: () => void;
  refetch: () => void;
}

/**
 * One list endpoint, a page at a time, with cursors: the cursors of the pages already seen are
 * kept so "Previous" goes back without the API supporting backwards cursors. Changing the
 * filters starts again from the first page (a cursor is bound to its filters).
 */
export function useCursorPages<T>(
  path: string,
  filters: Query = {},
  options: { pageSize?: number; enabled?: boolean; refetchInterval?: number } = {},
): CursorPages<T> {
  const api = useApi();
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const filterKey = JSON.stringify(filters);
  // Cursors of pages 2..n (page 1 has none), reset whenever the list or its filters change.
  const [trail, setTrail] = useState<{ for: string; cursors: string[] }>({
    for: `${path}${filterKey}`,
    cursors: [],
  });
  const cursors = trail.for === `${path}${filterKey}` ? trail.cursors : [];
  const cursor = cursors.at(-1);

  const query = useQuery({
    queryKey: api.key(path, filters, pageSize, cursor ?? null),
    queryFn: ({ signal }) =>
      api.get<Page<T>>(path, { ...filters, limit: pageSize, cursor }, signal),
    placeholderData: keepPreviousData,
    enabled: options.enabled ?? true,
    refetchInterval: options.refetchInterval,
  });

  const nextCursor = query.data?.nextCursor ?? null;
  const next = useCallback(() => {
    if (!nextCursor) return;
    setTrail({ for: `${path}${filterKey}`, cursors: [...cursors, nextCursor] });
  }, [nextCursor, cursors, path, filterKey]);
  const previous = useCallback(() => {
    setTrail({ for: `${path}${filterKey}`, cursors: cursors.slice(0, -1) });
  }, [cursors, path, filterKey]);
  const { refetch } = query;

  return {
    items: query.data?.items ?? NO_ITEMS,
    isLoading: query.isPending && (options.enabled ?? true),
    isFetching: query.isFetching,
    error: query.error,
    page: cursors.length + 1,
    hasNext: !query.isPlaceholderData && nextCursor !== null,
    hasPrevious: cursors.length > 0,
    next,
    previous,
    refetch: () => void refetch(),
  };
}
