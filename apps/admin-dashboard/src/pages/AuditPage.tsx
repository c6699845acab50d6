import { ACTOR_TYPES, type AuditLogView } from '@gnomon/contracts';
import { useState } from 'react';
import { DataTable, type Column } from '../components/DataTable';
import { SelectField, TextField } from '../components/Field';
import { pagerOf } from '../components/Pager';
import { formatInstant } from '../format';
import { useAuditLog } from '../hooks/reports';
import { useDebounced } from '../hooks/use-debounced';

const columns: Column<AuditLogView>[] = [
  { id: 'at', header: 'When', cell: (entry) => formatInstant(entry.createdAt) },
  { id: 'action', header: 'Action', cell: (entry) => <code>{entry.action}</code> },
  {
    id: 'actor',
    header: 'Actor',
    cell: (entry) => (
      <span className="small">
        {entry.actor.type.toLowerCase()} <code>{entry.actor.id.slice(0, 8)}</code>
      </span>
    ),
  },
  {
    id: 'target',
    header: 'Target',
    cell: (entry) => (
      <span className="small">
        {entry.target.type}{' '}
        <code title={entry.target.id ?? ''}>{entry.target.id?.slice(0, 8) ?? ''}</code>
      </span>
    ),
  },
  {
    id: 'request',
    header: 'Request id',
    cell: (entry) => <code className="small">{entry.requestId}</code>,
  },
];

const instantOf = (local: string) => (local ? new Date(local).toISOString() : undefined);

export default function AuditPage() {
  const [action, setAction] = useState('');
  const [targetId, setTargetId] = useState('');
  const [actorType, setActorType] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const settledAction = useDebounced(action.trim());
  const settledTarget = useDebounced(targetId.trim());
  const log = useAuditLog({
    action: settledAction || undefined,
    targetId: settledTarget || undefined,
    actorType: actorType || undefined,
    from: instantOf(from),
    to: instantOf(to),
  });
  return (
    <>
      <h1>Audit log</h1>
      <form
        className="filters"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(e) => e.preventDefault()}
      >
        <TextField
          label="Action"
          value={action}
          onChange={setAction}
          placeholder="e.g. api_key.created"
        />
        <TextField label="Target id" value={targetId} onChange={setTargetId} />
        <SelectField
          label="Actor type"
          value={actorType}
          options={[{ value: '', label: 'Any' }, ...new Set<string>([...ACTOR_TYPES, 'MEMBER'])]}
          onChange={setActorType}
        />
        <TextField label="From" type="datetime-local" value={from} onChange={setFrom} />
        <TextField label="To" type="datetime-local" value={to} onChange={setTo} />
      </form>
      <DataTable
        caption="Audit log, newest first"
        columns={columns}
        rows={log.items}
        rowKey={(entry) => entry.id}
        isLoading={log.isLoading}
        error={log.error}
        onRetry={log.refetch}
        empty="No entries match."
        pager={pagerOf(log)}
      />
    </>
  );
}
