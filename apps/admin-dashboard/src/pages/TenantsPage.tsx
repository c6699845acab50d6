import {
  TENANT_PLANS,
  TENANT_STATUSES,
  type TenantStatus,
  type TenantView,
} from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../api/problem';
import { useActingTenant } from '../acting-tenant';
import { DataTable, type Column } from '../components/DataTable';
import { SelectField, TextField } from '../components/Field';
import { pagerOf } from '../components/Pager';
import { ProblemDetails } from '../components/ProblemDetails';
import { StatusBadge } from '../components/Status';
import { tenantBody, type TenantForm } from '../forms/bodies';
import type { FieldErrors } from '../forms/validate';
import { formatInstant } from '../format';
import { useCreateTenant, useTenants, useUpdateTenant } from '../hooks/tenants';
import { useDebounced } from '../hooks/use-debounced';
import { Link } from '../router';

const EMPTY_FORM: TenantForm = { name: '', plan: 'FREE', ownerEmail: '', ownerName: '' };

export default function TenantsPage() {
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<TenantStatus | ''>('');
  const search = useDebounced(q.trim());
  const tenants = useTenants({ q: search || undefined, status });
  const [creating, setCreating] = useState(false);
  const update = useUpdateTenant();
  const acting = useActingTenant();

  const columns: Column<TenantView>[] = [
    {
      id: 'name',
      header: 'Name',
      cell: (tenant) => <Link to={`/tenants/${tenant.id}`}>{tenant.name}</Link>,
    },
    { id: 'status', header: 'Status', cell: (tenant) => <StatusBadge status={tenant.status} /> },
    { id: 'plan', header: 'Plan', cell: (tenant) => tenant.plan.toLowerCase() },
    { id: 'created', header: 'Created', cell: (tenant) => formatInstant(tenant.createdAt) },
    {
      id: 'actions',
      header: 'Actions',
      cell: (tenant) => (
        <div className="row-actions">
          <Link
            className="button"
            to={`/tenants/${tenant.id}?tab=limits`}
            aria-label={`Budget and limits of ${tenant.name}`}
          >
            Budget and limits
          </Link>
          <button
            type="button"
            onClick={() => acting.setTenantId(tenant.id)}
            disabled={acting.tenantId === tenant.id}
          >
            {acting.tenantId === tenant.id ? 'Acting in it' : 'Act in it'}
          </button>
          <button
            type="button"
            onClick={() =>
              update.mutate({
                id: tenant.id,
                body: { status: tenant.status === 'ACTIVE' ? 'SUSPENDED' : 'ACTIVE' },
              })
            }
            disabled={update.isPending}
            aria-label={`${tenant.status === 'ACTIVE' ? 'Suspend' : 'Reactivate'} ${tenant.name}`}
          >
            {tenant.status === 'ACTIVE' ? 'Suspend' : 'Reactivate'}
          </button>
        </div>
      ),
    },
  ];

  return (
    <>
      <div className="page-head">
        <h1>Tenants</h1>
        {!creating && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New tenant
          </button>
        )}
      </div>
      {creating && <CreateTenant onDone={() => setCreating(false)} />}
      {update.error && <ProblemDetails error={update.error} />}
      <form className="filters" role="search" onSubmit={(event) => event.preventDefault()}>
        <TextField label="Search by name or id" type="search" value={q} onChange={setQ} />
        <SelectField
          label="Status"
          value={status}
          options={[{ value: '', label: 'Any' }, ...TENANT_STATUSES]}
          onChange={setStatus}
        />
      </form>
      <DataTable
        caption="Tenants"
        columns={columns}
        rows={tenants.items}
        rowKey={(tenant) => tenant.id}
        isLoading={tenants.isLoading}
        error={tenants.error}
        onRetry={tenants.refetch}
        empty={q || status ? 'No tenant matches these filters.' : 'No tenants yet.'}
        pager={pagerOf(tenants)}
      />
    </>
  );
}

function CreateTenant(props: { onDone: () => void }) {
  const create = useCreateTenant();
  const [form, setForm] = useState(EMPTY_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const set = (field: keyof TenantForm) => (value: string) => setForm({ ...form, [field]: value });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = tenantBody(form);
    setErrors(body.ok ? {} : body.errors);
    if (!body.ok) return;
    create.mutate(body.data, {
      onSuccess: () => {
        setForm(EMPTY_FORM);
        props.onDone();
      },
      onError: (error) => {
        if (error instanceof ApiProblem) setErrors(error.fieldErrors());
      },
    });
  };

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-label="New tenant">
      <h2>New tenant</h2>
      <TextField label="Tenant name" value={form.name} onChange={set('name')} error={errors.name} />
      <SelectField
        label="Plan"
        value={form.plan}
        options={TENANT_PLANS}
        onChange={set('plan')}
        error={errors.plan}
      />
      <TextField
        label="Owner email"
        type="email"
        value={form.ownerEmail}
        onChange={set('ownerEmail')}
        error={errors.ownerEmail}
      />
      <TextField
        label="Owner name"
        value={form.ownerName}
        onChange={set('ownerName')}
        error={errors.ownerName}
      />
      {create.error && <ProblemDetails error={create.error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create tenant
        </button>
        <button type="button" onClick={props.onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
