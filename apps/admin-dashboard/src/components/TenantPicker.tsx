import type { TenantView } from '@gnomon/contracts';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useApi } from '../api/api-context';
import type { Page } from '../api/views';
import { useActingTenant } from '../acting-tenant';

/** A platform admin's choice of the tenant the tenant pages act in (X-Gnomon-Tenant). */
export function TenantPicker() {
  const api = useApi();
  const acting = useActingTenant();
  const id = useId();
  const tenants = useQuery({
    queryKey: ['tenant', 'platform', '/admin/tenants', 'picker'],
    queryFn: ({ signal }) =>
      api.client.get<Page<TenantView>>('/admin/tenants', { query: { limit: 100 }, signal }),
  });
  const items = tenants.data?.items ?? [];
  return (
    <div className="tenant-picker">
      <label htmlFor={id}>Acting in tenant</label>
      <select
        id={id}
        value={acting.tenantId ?? ''}
        onChange={(event) => acting.setTenantId(event.target.value || null)}
      >
        <option value="">{tenants.isPending ? 'Loading…' : '— choose a tenant —'}</option>
        {acting.tenantId && !items.some((tenant) => tenant.id === acting.tenantId) && (
          <option value={acting.tenantId}>{acting.tenantId}</option>
        )}
        {items.map((tenant) => (
          <option key={tenant.id} value={tenant.id}>
            {tenant.name}
            {tenant.status === 'SUSPENDED' ? ' (suspended)' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}
