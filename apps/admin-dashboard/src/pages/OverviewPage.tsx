import type { ReactNode } from 'react';
import { ProblemDetails } from '../components/ProblemDetails';
import { Stat, StatusBadge } from '../components/Status';
import { formatMicros, formatPercent } from '../format';
import { usePermissions } from '../hooks/session';
import { usePlatformOverview, useTenantOverview } from '../hooks/reports';
import type { TenantOverview } from '../api/views';
import { Link } from '../router';
import { useApi } from '../api/api-context';

export default function OverviewPage() {
  const permissions = usePermissions();
  return permissions.isPlatformAdmin ? <PlatformOverviewView /> : <TenantOverviewView />;
}

function Figures(props: {
  data: {
    spendTodayMicros: string;
    spendMonthMicros: string;
    requestsPerMinute: number;
    errorRate: number;
  };
}) {
  return (
    <div className="stats">
      <Stat label="Spend today" value={formatMicros(props.data.spendTodayMicros)} hint="UTC day" />
      <Stat label="Spend this month" value={formatMicros(props.data.spendMonthMicros)} />
      <Stat
        label="Requests per minute"
        value={props.data.requestsPerMinute.toLocaleString('en-US', { maximumFractionDigits: 1 })}
      />
      <Stat label="Error rate" value={formatPercent(props.data.errorRate)} />
    </div>
  );
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <section className="panel" aria-label={props.title}>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

function PlatformOverviewView() {
  const overview = usePlatformOverview();
  const api = useApi();
  return (
    <>
      <h1>Platform overview</h1>
      {overview.error && (
        <ProblemDetails error={overview.error} onRetry={() => void overview.refetch()} />
      )}
      {overview.isPending && <p role="status">Loading…</p>}
      {overview.data && (
        <>
          <Figures data={overview.data} />
          <div className="columns">
            <Section title="Provider breakers">
              {overview.data.providers.length === 0 ? (
                <p className="muted">No provider has been called yet.</p>
              ) : (
                <ul className="plain">
                  {overview.data.providers.map((provider) => (
                    <li key={provider.provider}>
                      {provider.provider} <StatusBadge status={provider.state} />
                    </li>
                  ))}
                </ul>
              )}
            </Section>
            <Section title="Top tenants this month">
              {overview.data.topTenants.length === 0 ? (
                <p className="muted">No spend this month.</p>
              ) : (
                <table className="data-table compact">
                  <caption className="visually-hidden">Top tenants by spend this month</caption>
                  <thead>
                    <tr>
                      <th scope="col">Tenant</th>
                      <th scope="col" className="num">
                        Spend
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {overview.data.topTenants.map((tenant) => (
                      <tr key={tenant.tenantId}>
                        <td>
                          <Link to={`/tenants/${tenant.tenantId}`}>{tenant.name}</Link>
                        </td>
                        <td className="num">{formatMicros(tenant.spendMonthMicros)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </Section>
          </div>
        </>
      )}
      {api.tenant === null && (
        <p className="muted">Choose a tenant at the top to see its runs, approvals and usage.</p>
      )}
    </>
  );
}

function TenantOverviewView() {
  const overview = useTenantOverview();
  return (
    <>
      <h1>Overview</h1>
      {overview.error && (
        <ProblemDetails error={overview.error} onRetry={() => void overview.refetch()} />
      )}
      {overview.isPending && <p role="status">Loading…</p>}
      {overview.data && (
        <>
          <Figures data={overview.data} />
          <Section title="Budget">
            <BudgetMeter budget={overview.data.budget} />
          </Section>
        </>
      )}
    </>
  );
}

/** Spend against the soft and hard limits of the current budget period. */
export function BudgetMeter(props: { budget: TenantOverview['budget'] }) {
  const { usedMicros, softLimitMicros, hardLimitMicros, period } = props.budget;
  if (!hardLimitMicros && !softLimitMicros) {
    return (
      <p>
        No budget is set. Spent this {period.toLowerCase() === 'daily' ? 'day' : 'month'}:{' '}
        <strong>{formatMicros(usedMicros)}</strong>.
      </p>
    );
  }
  const limit = Number(hardLimitMicros ?? softLimitMicros);
  const used = Number(usedMicros);
  const share = limit > 0 ? Math.min(1, used / limit) : 1;
  const softShare = softLimitMicros && limit > 0 ? Number(softLimitMicros) / limit : null;
  const state =
    hardLimitMicros && used >= Number(hardLimitMicros)
      ? 'over the hard limit'
      : softLimitMicros && used >= Number(softLimitMicros)
        ? 'over the soft limit'
        : 'within budget';
  return (
    <div className="budget">
      <p>
        <strong>{formatMicros(usedMicros)}</strong> used of{' '}
        {hardLimitMicros ? `${formatMicros(hardLimitMicros)} (hard limit)` : ''}
        {softLimitMicros ? ` · soft limit ${formatMicros(softLimitMicros)}` : ''} ·{' '}
        {period.toLowerCase()} period ·{' '}
        <span className={state === 'within budget' ? 'ok-text' : 'bad-text'}>{state}</span>
      </p>
      <div
        className="meter"
        role="meter"
        aria-label="Budget used"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(share * 100)}
      >
        <div
          className={`meter-fill${state === 'within budget' ? '' : ' over'}`}
          style={{ width: `${share * 100}%` }}
        />
        {softShare !== null && softShare < 1 && (
          <div className="meter-mark" style={{ left: `${softShare * 100}%` }} title="soft limit" />
        )}
      </div>
    </div>
  );
}
