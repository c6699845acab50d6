import { useApi } from '../api/api-context';
import { StatusBadge } from '../components/Status';
import { usePermissions, useSession } from '../hooks/session';
import { useTenant } from '../hooks/tenants';
import { useRouter } from '../router';
import { ApiKeysPanel } from './settings/ApiKeysPanel';
import { LimitsPanel } from './settings/LimitsPanel';
import { MembersPanel } from './settings/MembersPanel';
import { RoutesPanel } from './settings/RoutesPanel';
import { ToolsPanel } from './settings/ToolsPanel';

const TABS = [
  { id: 'members', label: 'Members' },
  { id: 'keys', label: 'API keys', scope: 'keys:manage' },
  { id: 'routes', label: 'Model routes' },
  { id: 'tools', label: 'Tools', scope: 'tools:read' },
  { id: 'limits', label: 'Limits and budget' },
] as const;

/** One tenant's settings: the member's own tenant, or (platform admin) the tenant chosen. */
export default function TenantSettingsPage() {
  const { path, search, navigate } = useRouter();
  const api = useApi();
  const permissions = usePermissions();
  const session = useSession().data;
  const tenant = useTenant(permissions.isPlatformAdmin ? api.tenant : null);
  const tabs = TABS.filter((tab) => !('scope' in tab) || permissions.can(tab.scope));
  const current = tabs.find((tab) => tab.id === search.get('tab')) ?? tabs[0];
  const name = permissions.isPlatformAdmin ? tenant.data?.name : session?.principal.tenantName;

  return (
    <>
      <div className="page-head">
        <h1>
          Settings{name ? ` — ${name}` : ''}{' '}
          {tenant.data && <StatusBadge status={tenant.data.status} />}
        </h1>
      </div>
      <div className="tabs" role="tablist" aria-label="Settings sections">
        {tabs.map((tab) => (
          <button
            key={tab.id}
            type="button"
            role="tab"
            id={`tab-${tab.id}`}
            aria-selected={tab.id === current.id}
            aria-controls={`panel-${tab.id}`}
            tabIndex={tab.id === current.id ? 0 : -1}
            onClick={() => navigate(`${path}?tab=${tab.id}`, { replace: true })}
            onKeyDown={(event) => {
              const index = tabs.indexOf(tab);
              const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
              if (!step) return;
              const next = tabs[(index + step + tabs.length) % tabs.length];
              navigate(`${path}?tab=${next.id}`, { replace: true });
              document.getElementById(`tab-${next.id}`)?.focus();
            }}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>
        {current.id === 'members' && <MembersPanel />}
        {current.id === 'keys' && <ApiKeysPanel />}
        {current.id === 'routes' && <RoutesPanel />}
        {current.id === 'tools' && <ToolsPanel />}
        {current.id === 'limits' && <LimitsPanel />}
      </div>
    </>
  );
}
