import { AdminKeySignInBody, SignInBody, type TenantChoice } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../api/problem';
import { ProblemDetails } from '../components/ProblemDetails';
import { SelectField, TextField } from '../components/Field';
import { validate, type FieldErrors } from '../forms/validate';
import { useAdminKeySignIn, useSignIn } from '../hooks/session';
import { OidcSignIn } from './OidcSignIn';

export default function SignInPage() {
  const signIn = useSignIn();
  const adminSignIn = useAdminKeySignIn();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [tenantId, setTenantId] = useState('');
  const [tenants, setTenants] = useState<TenantChoice[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [key, setKey] = useState('');
  const [keyErrors, setKeyErrors] = useState<FieldErrors>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(SignInBody, { email: email.trim(), password });
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    signIn.mutate(
      { ...checked.data, ...(tenantId ? { tenantId } : {}) },
      {
        onError: (error) => {
          // The password matches members of several tenants: ask which one.
          if (error instanceof ApiProblem && error.code === 'tenant_required') {
            const choices = error.problem.tenants ?? [];
            setTenants(choices);
            setTenantId(choices[0]?.id ?? '');
          }
        },
      },
    );
  };

  const submitKey = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(AdminKeySignInBody, { key: key.trim() });
    setKeyErrors(checked.ok ? {} : checked.errors);
    if (checked.ok) adminSignIn.mutate(checked.data.key);
  };

  const tenantRequired =
    signIn.error instanceof ApiProblem && signIn.error.code === 'tenant_required';

  return (
    <main className="centered sign-in" id="main">
      <h1>Sign in to Gnomon</h1>
      <form onSubmit={submit} noValidate aria-label="Sign in with email and password">
        <TextField
          label="Email"
          type="email"
          autoComplete="username"
          value={email}
          onChange={setEmail}
          error={errors.email}
          required
        />
        <TextField
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={setPassword}
          error={errors.password}
          required
        />
        {tenants.length > 0 && (
          <SelectField
            label="Tenant"
            value={tenantId}
            options={tenants.map((tenant) => ({ value: tenant.id, label: tenant.name }))}
            onChange={setTenantId}
            hint="You are a member of several tenants: choose one."
          />
        )}
        {signIn.error && !tenantRequired && <ProblemDetails error={signIn.error} />}
        <button type="submit" className="primary" disabled={signIn.isPending}>
          {signIn.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <OidcSignIn />
      <details className="admin-key">
        <summary>Sign in with the platform admin key</summary>
        <form onSubmit={submitKey} noValidate aria-label="Sign in with the platform admin key">
          <TextField
            label="Platform admin key"
            type="password"
            autoComplete="off"
            value={key}
            onChange={setKey}
            error={keyErrors.key}
          />
          {adminSignIn.error && <ProblemDetails error={adminSignIn.error} />}
          <button type="submit" disabled={adminSignIn.isPending}>
            Sign in as platform admin
          </button>
        </form>
      </details>
    </main>
  );
}
