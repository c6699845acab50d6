import type {
  AddMemberBody,
  ApiKeyView,
  ApiKeyWithSecret,
  CreateApiKeyBody,
  CreateTenantBody,
  MemberView,
  TenantStatus,
  TenantView,
  UpdateMemberBody,
  UpdateTenantBody,
} from '@gnomon/contracts';
import { useQuery } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import type { InvitationView, MemberWithInvitation } from '../api/views';
import { useCursorPages } from './use-cursor-pages';
import { useApiMutation } from './mutation';

// ---- Tenants (platform admin) ----

export function useTenants(filters: { q?: string; status?: TenantStatus | '' }) {
  return useCursorPages<TenantView>('/admin/tenants', filters);
}

export function useTenant(id: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: api.key('/admin/tenants', id),
    queryFn: ({ signal }) => api.get<TenantView>(`/admin/tenants/${id}`, undefined, signal),
    enabled: id !== null,
  });
}

export const useCreateTenant = () =>
  useApiMutation(
    (api, body: CreateTenantBody) => api.send<TenantView>('POST', '/admin/tenants', body),
    ['/admin/tenants', '/admin/overview'],
  );

export const useUpdateTenant = () =>
  useApiMutation(
    (api, input: { id: string; body: UpdateTenantBody }) =>
      api.send<TenantView>('PATCH', `/admin/tenants/${input.id}`, input.body),
    ['/admin/tenants'],
  );

// ---- Members ----

export const useMembers = () => useCursorPages<MemberView>('/members');

export const useAddMember = () =>
  useApiMutation(
    (api, body: AddMemberBody) => api.send<MemberWithInvitation>('POST', '/members', body),
    ['/members', '/audit-log'],
  );

export const useUpdateMember = () =>
  useApiMutation(
    (api, input: { id: string; body: UpdateMemberBody }) =>
      api.send<MemberView>('PATCH', `/members/${input.id}`, input.body),
    ['/members', '/audit-log'],
  );

export const useRemoveMember = () =>
  useApiMutation(
    (api, id: string) => api.send<void>('DELETE', `/members/${id}`),
    ['/members', '/api-keys', '/audit-log'],
  );

export const useResetLink = () =>
  useApiMutation(
    (api, id: string) => api.send<InvitationView>('POST', `/members/${id}/reset-link`),
    ['/audit-log'],
  );

// ---- API keys ----

/** Every key of the tenant, newest first (the API has no status filter: the status is shown). */
export const useApiKeys = () => useCursorPages<ApiKeyView>('/api-keys');

export const useCreateApiKey = () =>
  useApiMutation(
    (api, body: CreateApiKeyBody) => api.send<ApiKeyWithSecret>('POST', '/api-keys', body),
    ['/api-keys', '/audit-log'],
  );

export const useRevokeApiKey = () =>
  useApiMutation(
    (api, id: string) => api.send<ApiKeyView>('POST', `/api-keys/${id}/revoke`),
    ['/api-keys', '/audit-log'],
  );

export const useRotateApiKey = () =>
  useApiMutation(
    (api, input: { id: string; gracePeriodSeconds: number }) =>
      api.send<ApiKeyWithSecret>('POST', `/api-keys/${input.id}/rotate`, {
        gracePeriodSeconds: input.gracePeriodSeconds,
      }),
    ['/api-keys', '/audit-log'],
  );
