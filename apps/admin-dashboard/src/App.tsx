import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from 'react';
import { ApiProvider, TenantScope } from './api/api-context';
import type { ApiClient } from './api/client';
import type { SessionView } from './api/views';
import { ActingTenantProvider, useActingTenant } from './acting-tenant';
import { Layout } from './components/Layout';
import { ProblemDetails } from './components/ProblemDetails';
import { TenantPicker } from './components/TenantPicker';
import { permissionsOf, useSession } from './hooks/session';
import { matchPath, useRouter } from './router';

type Page = LazyExoticComponent<ComponentType<{ params: Record<string, string> }>>;

// Pages are loaded on demand: the initial bundle holds the shell and the sign-in page only.
const page = (
  load: () => Promise<{ default: ComponentType<{ params: Record<string, string> }> }>,
) => lazy(load);
const SignInPage = lazy(() => import('./pages/SignInPage'));
const AcceptPage = lazy(() => import('./pages/AcceptPage'));

interface Route {
  pattern: string;
  page: Page;
  /** Only for platform admins. */
  admin?: boolean;
  /** Acts in a tenant: a platform admin must choose one first. */
  tenant?: boolean;
}

const ROUTES: Route[] = [
  { pattern: '/', page: page(() => import('./pages/OverviewPage')) },
  { pattern: '/tenants', page: page(() => import('./pages/TenantsPage')), admin: true },
  { pattern: '/tenants/:id', page: page(() => import('./pages/TenantSettingsPage')), admin: true },
  { pattern: '/settings', page: page(() => import('./pages/TenantSettingsPage')), tenant: true },
  { pattern: '/providers', page: page(() => import('./pages/ProvidersPage')), admin: true },
  { pattern: '/usage', page: page(() => import('./pages/UsagePage')), tenant: true },
  { pattern: '/runs', page: page(() => import('./pages/RunsPage')), tenant: true },
  { pattern: '/runs/:id', page: page(() => import('./pages/RunPage')), tenant: true },
  { pattern: '/approvals', page: page(() => import('./pages/ApprovalsPage')), tenant: true },
  { pattern: '/tasks', page: page(() => import('./pages/TasksPage')), tenant: true },
  { pattern: '/tasks/:id', page: page(() => import('./pages/TaskPage')), tenant: true },
  { pattern: '/audit', page: page(() => import('./pages/AuditPage')), tenant: true },
];

const Loading = () => (
  <p className="page-status" role="status">
    Loading…
  </p>
);

export function App(props: { client: ApiClient }) {
  return (
    <ApiProvider client={props.client}>
      <ActingTenantProvider>
        <Gate />
      </ActingTenantProvider>
    </ApiProvider>
  );
}

/** Signed in or not: the sign-in page, the invitation page, or the dashboard. */
function Gate() {
  const session = useSession();
  const { path } = useRouter();
  if (path === '/accept') {
    return (
      <Suspense fallback={<Loading />}>
        <AcceptPage />
      </Suspense>
    );
  }
  if (session.isPending) return <Loading />;
  if (session.error) {
    return (
      <main className="centered">
        <ProblemDetails error={session.error} onRetry={() => void session.refetch()} />
      </main>
    );
  }
  if (!session.data) {
    return (
      <Suspense fallback={<Loading />}>
        <SignInPage />
      </Suspense>
    );
  }
  return <SignedIn session={session.data} />;
}

function SignedIn(props: { session: SessionView }) {
  const { path } = useRouter();
  const acting = useActingTenant();
  const permissions = permissionsOf(props.session);
  const tenant = permissions.isPlatformAdmin ? acting.tenantId : null;

  let content;
  let params: Record<string, string> = {};
  const route = ROUTES.find((candidate) => {
    const match = matchPath(candidate.pattern, path);
    if (match) params = match;
    return match !== null;
  });
  if (!route) {
    content = <NotFound />;
  } else if (route.admin && !permissions.isPlatformAdmin) {
    content = <NotFound />;
  } else if (route.tenant && permissions.isPlatformAdmin && !tenant) {
    content = <ChooseTenant />;
  } else {
    const Page = route.page;
    // A platform admin's page of one tenant acts in that tenant.
    const scope = route.pattern === '/tenants/:id' ? params.id : tenant;
    content = (
      <TenantScope tenantId={scope}>
        <Page params={params} />
      </TenantScope>
    );
  }
  return (
    <Layout session={props.session}>
      <Suspense fallback={<Loading />}>{content}</Suspense>
    </Layout>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>There is no such page, or it is not available to you.</p>
    </section>
  );
}

function ChooseTenant() {
  return (
    <section>
      <h1>Choose a tenant</h1>
      <p>This page shows one tenant&apos;s data. Choose the tenant to act in.</p>
      <TenantPicker />
    </section>
  );
}
