import type { ToolView } from '@gnomon/contracts';
import { useState } from 'react';
import { DataTable, type Column } from '../../components/DataTable';
import { pagerOf } from '../../components/Pager';
import { ProblemDetails } from '../../components/ProblemDetails';
import { formatInstant } from '../../format';
import { usePermissions } from '../../hooks/session';
import { useDeleteTool, useTools } from '../../hooks/tasks';

/** The tenant's tools (registered through the API: docs/tools.md), with their definitions. */
export function ToolsPanel() {
  const tools = useTools();
  const remove = useDeleteTool();
  const canWrite = usePermissions().can('tools:write');
  const [open, setOpen] = useState<ToolView | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const columns: Column<ToolView>[] = [
    {
      id: 'name',
      header: 'Name',
      cell: (tool) => (
        <button type="button" className="link-button" onClick={() => setOpen(tool)}>
          {tool.name}
        </button>
      ),
    },
    { id: 'kind', header: 'Kind', cell: (tool) => tool.kind },
    { id: 'version', header: 'Version', cell: (tool) => tool.version, numeric: true },
    { id: 'description', header: 'Description', cell: (tool) => tool.description },
    { id: 'updated', header: 'Updated', cell: (tool) => formatInstant(tool.updatedAt) },
  ];
  if (canWrite) {
    columns.push({
      id: 'actions',
      header: 'Actions',
      cell: (tool) =>
        confirming === tool.id ? (
          <button
            type="button"
            className="danger"
            onClick={() => remove.mutate(tool.id, { onSettled: () => setConfirming(null) })}
          >
            Confirm delete
          </button>
        ) : (
          <button
            type="button"
            aria-label={`Delete ${tool.name}`}
            onClick={() => setConfirming(tool.id)}
          >
            Delete
          </button>
        ),
    });
  }

  return (
    <section aria-label="Tools">
      <p className="muted">
        Tools are registered and versioned through the API (<code>POST /api/v1/tools</code>).
      </p>
      {remove.error && <ProblemDetails error={remove.error} />}
      <DataTable
        caption="Tools"
        columns={columns}
        rows={tools.items}
        rowKey={(tool) => tool.id}
        isLoading={tools.isLoading}
        error={tools.error}
        onRetry={tools.refetch}
        empty="No tools registered."
        pager={pagerOf(tools)}
      />
      {open && (
        <section className="panel" aria-label={`Tool ${open.name}`}>
          <div className="page-head">
            <h2>
              {open.name} v{open.version}
            </h2>
            <button type="button" onClick={() => setOpen(null)}>
              Close
            </button>
          </div>
          <pre className="json">{JSON.stringify(open, null, 2)}</pre>
        </section>
      )}
    </section>
  );
}
