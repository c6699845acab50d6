import { useState } from 'react';
import type { ProviderWindow } from '@gnomon/contracts';
import type { ProviderStats } from '../api/views';
import { DataTable, type Column } from '../components/DataTable';
import { SelectField } from '../components/Field';
import { StatusBadge } from '../components/Status';
import { formatCount, formatDuration, formatPercent } from '../format';
import { useProviderStats } from '../hooks/reports';

const columns: Column<ProviderStats>[] = [
  { id: 'provider', header: 'Provider', cell: (row) => row.provider },
  { id: 'model', header: 'Model', cell: (row) => row.model },
  { id: 'state', header: 'Breaker', cell: (row) => <StatusBadge status={row.state} /> },
  { id: 'calls', header: 'Calls', cell: (row) => formatCount(row.calls), numeric: true },
  {
    id: 'errors',
    header: 'Error rate',
    cell: (row) => formatPercent(row.errorRate),
    numeric: true,
  },
  { id: 'p50', header: 'p50 latency', cell: (row) => formatDuration(row.p50Ms), numeric: true },
  { id: 'p95', header: 'p95 latency', cell: (row) => formatDuration(row.p95Ms), numeric: true },
];

/** Health of every provider and model the gateway called (platform admin). */
export default function ProvidersPage() {
  const [window, setWindow] = useState<ProviderWindow>('1h');
  const stats = useProviderStats(window);
  return (
    <>
      <h1>Providers</h1>
      <div className="filters">
        <SelectField
          label="Window"
          value={window}
          options={[
            { value: '1h', label: 'last hour' },
            { value: '24h', label: 'last 24 hours' },
          ]}
          onChange={setWindow}
        />
      </div>
      <DataTable
        caption={`Providers and models, ${window === '1h' ? 'last hour' : 'last 24 hours'}`}
        columns={columns}
        rows={stats.data?.items ?? []}
        rowKey={(row) => `${row.provider}/${row.model}`}
        isLoading={stats.isPending}
        error={stats.error}
        onRetry={() => void stats.refetch()}
        empty="No model calls in this window."
      />
    </>
  );
}
