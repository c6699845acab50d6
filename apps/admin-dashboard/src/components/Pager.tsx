export interface PagerProps {
  page: number;
  hasNext: boolean;
  hasPrevious: boolean;
  isFetching?: boolean;
  next: () => void;
  previous: () => void;
  label?: string;
}

/** Previous / next over a cursor-paginated list (the API pages forwards only). */
export function Pager(props: PagerProps) {
  if (!props.hasNext && !props.hasPrevious) return null;
  return (
    <nav className="pager" aria-label={props.label ?? 'Pages'}>
      <button type="button" onClick={props.previous} disabled={!props.hasPrevious}>
        Previous
      </button>
      <span aria-live="polite">
        Page {props.page}
        {props.isFetching ? ' (loading…)' : ''}
      </span>
      <button type="button" onClick={props.next} disabled={!props.hasNext}>
        Next
      </button>
    </nav>
  );
}

/** The pager props of a useCursorPages result. */
export const pagerOf = (pages: PagerProps): PagerProps => ({
  page: pages.page,
  hasNext: pages.hasNext,
  hasPrevious: pages.hasPrevious,
  isFetching: pages.isFetching,
  next: pages.next,
  previous: pages.previous,
});
