import type { ApiKeyScope } from '@gnomon/contracts';
import type { ReactNode } from 'react';
import type { SessionView } from '../api/views';
import { permissionsOf, useSignOut } from '../hooks/session';
import { useActingTenant } from '../acting-tenant';
import { Link, useRouter } from '../router';
import { TenantPicker } from './TenantPicker';

interface NavItem {
  to: string;
  label: string;
  admin?: boolean;
  scope?: ApiKeyScope;
}

const NAV: NavItem[] = [
  { to: '/', label: 'Overview' },
  { to: '/tenants', label: 'Tenants', admin: true },
  { to: '/providers', label: 'Providers', admin: true },
  { to: '/runs', label: 'Runs', scope: 'runs:read' },
  { to: '/approvals', label: 'Approvals', scope: 'runs:read' },
  { to: '/tasks', label: 'Tasks', scope: 'tasks:read' },
  { to: '/usage', label: 'Usage', scope: 'usage:read' },
  { to: '/settings', label: 'Settings' },
  { to: '/audit', label: 'Audit log', scope: 'members:manage' },
];

export function Layout(props: { session: SessionView; children: ReactNode }) {
  const permissions = permissionsOf(props.session);
  const signOut = useSignOut();
  const { navigate } = useRouter();
  const acting = useActingTenant();
  // Whoever signs in next starts on the overview, acting in no tenant.
  const leave = (everywhere: boolean) =>
    signOut.mutate(everywhere, {
      onSettled: () => {
        acting.setTenantId(null);
        navigate('/', { replace: true });
      },
    });
  const { principal } = props.session;
  const items = NAV.filter(
    (item) =>
      (!item.admin || permissions.isPlatformAdmin) && (!item.scope || permissions.can(item.scope)),
  );
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Gnomon</span>
        <div className="who">
          {permissions.isPlatformAdmin ? (
            <>
              <span className="badge badge-live">Platform admin</span>
              <TenantPicker />
            </>
          ) : (
            <span>
              <strong>{principal.name ?? principal.email}</strong>
              <span className="muted">
                {' '}
                · {principal.tenantName} · {principal.role?.toLowerCase()}
              </span>
            </span>
          )}
          <button type="button" onClick={() => leave(false)} disabled={signOut.isPending}>
            Sign out
          </button>
          <button
            type="button"
            className="link-button"
            onClick={() => leave(true)}
            disabled={signOut.isPending}
          >
            Sign out everywhere
          </button>
        </div>
      </header>
      <div className="frame">
        <nav className="sidenav" aria-label="Main">
          <ul>
            {items.map((item) => (
              <li key={item.to}>
                <Link to={item.to}>{item.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" tabIndex={-1}>
          {props.children}
        </main>
      </div>
    </div>
  );
}
