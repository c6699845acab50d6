import type { UsageRow } from '@gnomon/contracts';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import { BarChartFigure } from '../components/Chart';
import { DataTable, type Column } from '../components/DataTable';
import { SelectField, TextField } from '../components/Field';
import { ProblemDetails } from '../components/ProblemDetails';
import { Stat } from '../components/Status';
import { usageRange } from '../forms/bodies';
import { everyDay, formatCount, formatMicros, formatUsdAxis, microsToUsd } from '../format';
import { useRateLimitHits, useUsage, type DateRange, type UsageGroup } from '../hooks/reports';

const day = (date: Date) => date.toISOString().slice(0, 10);
const daysAgo = (n: number) => day(new Date(Date.now() - n * 86_400_000));

function rangeOf(fromDay: string, toDay: string): DateRange {
  const checked = usageRange(fromDay, toDay);
  if (!checked.ok) throw new Error(`invalid default range ${fromDay}..${toDay}`);
  return checked.data;
}

const groupColumns = (label: string): Column<UsageRow>[] => [
  { id: 'key', header: label, cell: (row) => row.key ?? `(no ${label.toLowerCase()})` },
  { id: 'calls', header: 'Calls', cell: (row) => formatCount(row.calls), numeric: true },
  { id: 'failed', header: 'Failed', cell: (row) => formatCount(row.failedCalls), numeric: true },
  { id: 'in', header: 'Input tokens', cell: (row) => formatCount(row.inputTokens), numeric: true },
  {
    id: 'out',
    header: 'Output tokens',
    cell: (row) => formatCount(row.outputTokens),
    numeric: true,
  },
  { id: 'cost', header: 'Spend', cell: (row) => formatMicros(row.costMicros), numeric: true },
];
const GROUP_COLUMNS = {
  provider: groupColumns('Provider'),
  model: groupColumns('Model'),
  apiKey: groupColumns('API key'),
};

export default function UsagePage() {
  const [fromDay, setFromDay] = useState(() => daysAgo(29));
  const [toDay, setToDay] = useState(() => day(new Date()));
  const checked = usageRange(fromDay, toDay);
  // The query's range follows the inputs whenever they hold a valid range.
  const [range, setRange] = useState<DateRange>(() => rangeOf(daysAgo(29), day(new Date())));
  const apply = (from: string, to: string) => {
    const next = usageRange(from, to);
    if (next.ok) setRange(next.data);
  };
  return (
    <>
      <h1>Usage</h1>
      <form
        className="filters"
        aria-label="Date range"
        onSubmit={(event) => event.preventDefault()}
      >
        <TextField
          label="From (UTC day)"
          type="date"
          value={fromDay}
          onChange={(value) => {
            setFromDay(value);
            apply(value, toDay);
          }}
          error={checked.ok ? undefined : checked.errors.from}
        />
        <TextField
          label="To (UTC day, included)"
          type="date"
          value={toDay}
          onChange={(value) => {
            setToDay(value);
            apply(fromDay, value);
          }}
          error={checked.ok ? undefined : (checked.errors.to ?? checked.errors.form)}
        />
        <CsvExport range={range} />
      </form>
      <ByDay range={range} />
      <RateLimitHits range={range} />
      {(['provider', 'model', 'apiKey'] as const).map((group) => (
        <ByGroup key={group} range={range} group={group} />
      ))}
    </>
  );
}

function ByDay(props: { range: DateRange }) {
  const usage = useUsage(props.range, 'day');
  if (usage.error)
    return <ProblemDetails error={usage.error} onRetry={() => void usage.refetch()} />;
  if (!usage.data) return <p role="status">Loading usage…</p>;
  const totals = usage.data.totals;
  const byDay = new Map(usage.data.rows.map((row) => [row.key, row]));
  // Every day of the range gets a bar (days without calls are 0), unless nothing happened.
  const rows =
    totals.calls === 0
      ? []
      : everyDay(props.range.from, props.range.to).map((day) => {
          const row = byDay.get(day);
          return {
            day,
            spend: row ? microsToUsd(row.costMicros) : 0,
            input: row?.inputTokens ?? 0,
            output: row?.outputTokens ?? 0,
          };
        });
  return (
    <>
      <div className="stats">
        <Stat label="Spend in range" value={formatMicros(totals.costMicros)} />
        <Stat label="Model calls" value={formatCount(totals.calls)} />
        <Stat label="Tokens" value={formatCount(totals.inputTokens + totals.outputTokens)} />
        <Stat label="Failed calls" value={formatCount(totals.failedCalls)} />
      </div>
      <div className="columns">
        <BarChartFigure
          title="Spend by day"
          data={rows}
          x="day"
          series={[{ key: 'spend', label: 'Spend (USD)', colour: '#1f5fbf' }]}
          format={formatUsdAxis}
          empty="No model calls in this range."
        />
        <BarChartFigure
          title="Tokens by day"
          data={rows}
          x="day"
          stacked
          series={[
            { key: 'input', label: 'Input tokens', colour: '#1f5fbf' },
            { key: 'output', label: 'Output tokens', colour: '#b3541e' },
          ]}
          format={(value) => formatCount(value)}
          empty="No model calls in this range."
        />
      </div>
    </>
  );
}

function RateLimitHits(props: { range: DateRange }) {
  const hits = useRateLimitHits(props.range);
  if (hits.error)
    return <ProblemDetails error={hits.error} title="Rate-limit hits are unavailable" />;
  if (!hits.data) return null;
  return (
    <BarChartFigure
      title="Rate-limit hits by day"
      data={hits.data.items.some((item) => item.hits > 0) ? hits.data.items : []}
      x="day"
      series={[{ key: 'hits', label: 'Requests refused', colour: '#a3262a' }]}
      format={(value) => formatCount(value)}
      empty="No request was refused by a rate limit in this range."
    />
  );
}

function ByGroup(props: { range: DateRange; group: Exclude<UsageGroup, 'day'> }) {
  const usage = useUsage(props.range, props.group);
  const title = { provider: 'By provider', model: 'By model', apiKey: 'By API key' }[props.group];
  return (
    <section aria-label={title}>
      <DataTable
        caption={title}
        columns={GROUP_COLUMNS[props.group]}
        rows={usage.data?.rows ?? []}
        rowKey={(row) => row.key ?? '(none)'}
        isLoading={usage.isPending}
        error={usage.error}
        onRetry={() => void usage.refetch()}
        empty="No model calls in this range."
      />
    </section>
  );
}

/** Downloads the usage as CSV (fetched with the session, so it carries the tenant header). */
function CsvExport(props: { range: DateRange }) {
  const api = useApi();
  const [groupBy, setGroupBy] = useState<UsageGroup>('day');
  const [error, setError] = useState<unknown>(null);
  const download = async () => {
    setError(null);
    try {
      const response = await api.client.raw('GET', '/usage/export', {
        query: { ...props.range, groupBy },
        tenant: api.tenant,
        headers: { accept: 'text/csv' },
      });
      const url = URL.createObjectURL(await response.blob());
      const link = document.createElement('a');
      link.href = url;
      link.download = `usage-${groupBy}-${props.range.from.slice(0, 10)}-${props.range.to.slice(0, 10)}.csv`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <div className="export">
      <SelectField
        label="Export rows by"
        value={groupBy}
        options={[
          { value: 'day', label: 'day' },
          { value: 'provider', label: 'provider' },
          { value: 'model', label: 'model' },
          { value: 'apiKey', label: 'API key' },
        ]}
        onChange={setGroupBy}
      />
      <button type="button" onClick={() => void download()}>
        Export CSV
      </button>
      {error !== null && <ProblemDetails error={error} />}
    </div>
  );
}
