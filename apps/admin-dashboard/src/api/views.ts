// Views the dashboard reads, from libs/contracts (the schemas the API answers with), plus the
// two the control plane defines beside its controllers.
import type { UsageRow } from '@gnomon/contracts';

export type {
  BreakerViewState as BreakerState,
  MemberLinkView as InvitationView,
  MemberWithInvitation,
  OidcStatusView as OidcStatus,
  PlatformOverviewView as PlatformOverview,
  ProviderHealthRow as ProviderStats,
  ProviderHealthView,
  RateLimitHitsView,
  SessionPrincipalView as SessionPrincipal,
  SessionView,
  TenantChoice,
  TenantOverviewView as TenantOverview,
} from '@gnomon/contracts';

/** GET /api/v1/usage (the schema lives beside the usage controller). */
export interface UsageReport {
  from: string;
  to: string;
  groupBy: 'day' | 'model' | 'provider' | 'apiKey';
  rows: UsageRow[];
  totals: UsageRow;
}

/** Every list endpoint's page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
