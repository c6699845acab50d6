import { createColumnHelper, tableFeatures, useTable, type RowData } from '@tanstack/react-table';
import { useMemo, type ReactNode } from 'react';
import { Pager, type PagerProps } from './Pager';
import { ProblemDetails } from './ProblemDetails';

export interface Column<T> {
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  /** Right-aligned figures. */
  numeric?: boolean;
}

const features = tableFeatures({});

/**
 * A semantic table of one page of a list, with its loading, empty and error states and the
 * cursor pager. Rows come from the API already filtered and ordered (TanStack Table renders).
 */
export function DataTable<T extends RowData>(props: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  isLoading?: boolean;
  error?: Error | null;
  empty: ReactNode;
  pager?: PagerProps;
  onRetry?: () => void;
}) {
  const { columns: specs, rowKey } = props;
  const columns = useMemo(() => {
    const helper = createColumnHelper<typeof features, T>();
    return helper.columns(
      specs.map((spec) =>
        helper.display({
          id: spec.id,
          header: spec.header,
          cell: (context) => spec.cell(context.row.original),
        }),
      ),
    );
  }, [specs]);
  const table = useTable({
    features,
    columns,
    data: props.rows,
    getRowId: (row) => rowKey(row),
  });
  const numeric = new Set(specs.filter((spec) => spec.numeric).map((spec) => spec.id));

  let body: ReactNode = null;
  let status: ReactNode = null;
  if (props.error) {
    status = <ProblemDetails error={props.error} onRetry={props.onRetry} />;
  } else if (props.isLoading) {
    status = (
      <p className="table-status" role="status">
        Loading…
      </p>
    );
  } else if (props.rows.length === 0) {
    status = <p className="table-status empty">{props.empty}</p>;
  } else {
    body = table.getRowModel().rows.map((row) => (
      <tr key={row.id}>
        {row.getAllCells().map((cell) => (
          <td key={cell.id} className={numeric.has(cell.column.id) ? 'num' : undefined}>
            <table.FlexRender cell={cell} />
          </td>
        ))}
      </tr>
    ));
  }

  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption>{props.caption}</caption>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <th
                  key={header.id}
                  scope="col"
                  className={numeric.has(header.column.id) ? 'num' : undefined}
                >
                  {header.isPlaceholder ? null : <table.FlexRender header={header} />}
                </th>
              ))}
            </tr>
          ))}
        </thead>
        {body && <tbody>{body}</tbody>}
      </table>
      {status}
      {props.pager && !props.error && <Pager {...props.pager} />}
    </div>
  );
}
