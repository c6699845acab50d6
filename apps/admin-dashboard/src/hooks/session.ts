import type { ApiKeyScope, MemberRole } from '@gnomon/contracts';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useApi } from '../api/api-context';
import { ApiProblem } from '../api/problem';
import type { OidcStatus, SessionView } from '../api/views';

export const SESSION_KEY = ['session'] as const;

/** The signed-in session, or null when nobody is signed in (401). */
export function useSession() {
  const { client } = useApi();
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async () => {
      if (!client.mayHaveSession()) return null;
      try {
        return await client.get<SessionView>('/auth/session');
      } catch (error) {
        if (error instanceof ApiProblem && error.status === 401) return null;
        throw error;
      }
    },
    staleTime: 60_000,
    retry: false,
  });
}

/** After signing in or out, nothing cached for the previous person may be shown. */
function startSession(queries: QueryClient, session: SessionView | null) {
  queries.removeQueries({ predicate: (query) => query.queryKey[0] !== SESSION_KEY[0] });
  queries.setQueryData(SESSION_KEY, session);
}

export interface SignInInput {
  email: string;
  password: string;
  tenantId?: string;
}

export function useSignIn() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (input: SignInInput) => client.post<SessionView>('/auth/sign-in', input),
    onSuccess: (session) => startSession(queries, session),
  });
}

export function useAdminKeySignIn() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (key: string) => client.post<SessionView>('/auth/sign-in/admin-key', { key }),
    onSuccess: (session) => startSession(queries, session),
  });
}

export function useAcceptInvitation() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (input: { token: string; password: string }) =>
      client.post<SessionView>('/auth/accept', input),
    onSuccess: (session) => startSession(queries, session),
  });
}

export function useSignOut() {
  const { client } = useApi();
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (everywhere: boolean) =>
      client.post<void>(everywhere ? '/auth/sign-out-everywhere' : '/auth/sign-out'),
    onSettled: () => startSession(queries, null),
  });
}

export function useOidcStatus() {
  const { client } = useApi();
  return useQuery({
    queryKey: ['oidc'],
    queryFn: () => client.get<OidcStatus>('/auth/oidc'),
    staleTime: Infinity,
    retry: false,
  });
}

export interface Permissions {
  signedIn: boolean;
  isPlatformAdmin: boolean;
  role: MemberRole | null;
  tenantId: string | null;
  /** Whether the session holds this scope (a platform admin holds every scope). */
  can: (scope: ApiKeyScope) => boolean;
}

/** What the signed-in person may do: the UI hides the controls the API would refuse. */
export function permissionsOf(session: SessionView | null | undefined): Permissions {
  if (!session) {
    return {
      signedIn: false,
      isPlatformAdmin: false,
      role: null,
      tenantId: null,
      can: () => false,
    };
  }
  const { principal } = session;
  const isPlatformAdmin = principal.type === 'PLATFORM_ADMIN';
  const scopes = new Set(principal.scopes);
  return {
    signedIn: true,
    isPlatformAdmin,
    role: principal.role,
    tenantId: principal.tenantId,
    can: (scope) => isPlatformAdmin || scopes.has(scope),
  };
}

export function usePermissions(): Permissions {
  return permissionsOf(useSession().data);
}
