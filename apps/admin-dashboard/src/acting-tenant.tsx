import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

const STORAGE_KEY = 'gnomon.actingTenant';

interface ActingTenant {
  /** The tenant a platform admin works in on tenant pages; null until one is chosen. */
  tenantId: string | null;
  setTenantId: (tenantId: string | null) => void;
}

const ActingTenantContext = createContext<ActingTenant>({
  tenantId: null,
  setTenantId: () => undefined,
});

/** A platform admin's choice of tenant, kept for the browser tab (sessionStorage). */
export function ActingTenantProvider(props: { children: ReactNode }) {
  const [tenantId, setState] = useState<string | null>(() => sessionStorage.getItem(STORAGE_KEY));
  const setTenantId = useCallback((next: string | null) => {
    if (next) sessionStorage.setItem(STORAGE_KEY, next);
    else sessionStorage.removeItem(STORAGE_KEY);
    setState(next);
  }, []);
  const value = useMemo(() => ({ tenantId, setTenantId }), [tenantId, setTenantId]);
  return (
    <ActingTenantContext.Provider value={value}>{props.children}</ActingTenantContext.Provider>
  );
}

export const useActingTenant = () => useContext(ActingTenantContext);
