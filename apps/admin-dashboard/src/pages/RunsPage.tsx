import { RUN_STATUSES, RunListQuery, type RunStatus, type RunSummaryView } from '@gnomon/contracts';
import { useMemo, useState } from 'react';
import { DataTable, type Column } from '../components/DataTable';
import { SelectField, TextField } from '../components/Field';
import { pagerOf } from '../components/Pager';
import { StatusBadge } from '../components/Status';
import { validate } from '../forms/validate';
import { formatCount, formatDuration, formatInstant, formatMicros, shortId } from '../format';
import { useRuns, type RunFilters } from '../hooks/runs';
import { useDebounced } from '../hooks/use-debounced';
import { Link } from '../router';

/** A local `YYYY-MM-DDTHH:mm` (datetime-local input) as an ISO instant, or undefined. */
const instantOf = (local: string): string | undefined =>
  local ? new Date(local).toISOString() : undefined;

export default function RunsPage() {
  const [status, setStatus] = useState<RunStatus | ''>('');
  const [taskText, setTask] = useState('');
  const task = useDebounced(taskText);
  const [after, setAfter] = useState('');
  const [before, setBefore] = useState('');

  const checked = useMemo(() => {
    const filters: RunFilters = {
      status,
      taskId: task.trim() || undefined,
      createdAfter: instantOf(after),
      createdBefore: instantOf(before),
    };
    const result = validate(RunListQuery, { ...filters, status: status || undefined });
    return { filters, errors: result.ok ? {} : result.errors };
  }, [status, task, after, before]);
  const valid = Object.keys(checked.errors).length === 0;
  const runs = useRuns(valid ? checked.filters : {});

  const columns: Column<RunSummaryView>[] = [
    {
      id: 'run',
      header: 'Run',
      cell: (run) => (
        <Link to={`/runs/${run.id}`} title={run.id}>
          {shortId(run.id)}
        </Link>
      ),
    },
    { id: 'task', header: 'Task', cell: (run) => `${run.taskName} v${run.taskVersion}` },
    { id: 'status', header: 'Status', cell: (run) => <StatusBadge status={run.status} /> },
    { id: 'created', header: 'Started', cell: (run) => formatInstant(run.createdAt) },
    {
      id: 'duration',
      header: 'Duration',
      cell: (run) => formatDuration(run.durationMs),
      numeric: true,
    },
    {
      id: 'tokens',
      header: 'Tokens',
      cell: (run) => formatCount(run.usage.inputTokens + run.usage.outputTokens),
      numeric: true,
    },
    {
      id: 'cost',
      header: 'Cost',
      cell: (run) => formatMicros(run.usage.costMicros),
      numeric: true,
    },
  ];

  return (
    <>
      <h1>Runs</h1>
      <form
        className="filters"
        role="search"
        aria-label="Filter runs"
        onSubmit={(e) => e.preventDefault()}
      >
        <SelectField
          label="Status"
          value={status}
          options={[{ value: '', label: 'Any' }, ...RUN_STATUSES]}
          onChange={setStatus}
        />
        <TextField
          label="Task (name or id)"
          value={taskText}
          onChange={setTask}
          error={checked.errors.taskId}
        />
        <TextField
          label="Started after"
          type="datetime-local"
          value={after}
          onChange={setAfter}
          error={checked.errors.createdAfter}
        />
        <TextField
          label="Started before"
          type="datetime-local"
          value={before}
          onChange={setBefore}
          error={checked.errors.createdBefore}
        />
      </form>
      <DataTable
        caption="Runs, newest first"
        columns={columns}
        rows={runs.items}
        rowKey={(run) => run.id}
        isLoading={runs.isLoading}
        error={runs.error}
        onRetry={runs.refetch}
        empty="No runs match. Start one from a task."
        pager={pagerOf(runs)}
      />
    </>
  );
}
