import type { TaskView } from '@gnomon/contracts';
import { useState } from 'react';
import { DataTable, type Column } from '../components/DataTable';
import { TextField } from '../components/Field';
import { pagerOf } from '../components/Pager';
import { formatInstant } from '../format';
import { useTasks } from '../hooks/tasks';
import { useDebounced } from '../hooks/use-debounced';
import { Link } from '../router';

const columns: Column<TaskView>[] = [
  { id: 'name', header: 'Name', cell: (task) => <Link to={`/tasks/${task.id}`}>{task.name}</Link> },
  {
    id: 'description',
    header: 'Description',
    cell: (task) => task.description || task.definition.description || '',
  },
  { id: 'steps', header: 'Steps', cell: (task) => task.definition.steps.length, numeric: true },
  { id: 'version', header: 'Version', cell: (task) => task.currentVersion, numeric: true },
  { id: 'updated', header: 'Updated', cell: (task) => formatInstant(task.updatedAt) },
];

export default function TasksPage() {
  const [name, setName] = useState('');
  const tasks = useTasks(useDebounced(name.trim()));
  return (
    <>
      <h1>Tasks</h1>
      <p className="muted">
        Tasks are written through the API (<code>POST /api/v1/tasks</code>); open one to read its
        versions or start a run.
      </p>
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <TextField label="Name starts with" type="search" value={name} onChange={setName} />
      </form>
      <DataTable
        caption="Tasks"
        columns={columns}
        rows={tasks.items}
        rowKey={(task) => task.id}
        isLoading={tasks.isLoading}
        error={tasks.error}
        onRetry={tasks.refetch}
        empty={name ? 'No task name starts with that.' : 'No tasks yet.'}
        pager={pagerOf(tasks)}
      />
    </>
  );
}
