import { API_KEY_SCOPES, type ApiKeyScope, type ApiKeyView } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../../api/problem';
import { DataTable, type Column } from '../../components/DataTable';
import { CheckboxGroup, SelectField, TextField } from '../../components/Field';
import { pagerOf } from '../../components/Pager';
import { ProblemDetails } from '../../components/ProblemDetails';
import { SecretOnce } from '../../components/Secret';
import { StatusBadge } from '../../components/Status';
import { apiKeyBody, type ApiKeyForm } from '../../forms/bodies';
import { errorFor, type FieldErrors } from '../../forms/validate';
import { formatInstant } from '../../format';
import { usePermissions } from '../../hooks/session';
import { useApiKeys, useCreateApiKey, useRevokeApiKey, useRotateApiKey } from '../../hooks/tenants';

const EMPTY: ApiKeyForm = { name: '', scopes: ['runs:read'], expiresOn: '' };
const GRACE = [
  { value: '0', label: 'old secret stops now' },
  { value: '3600', label: 'old secret works 1 more hour' },
  { value: '86400', label: 'old secret works 1 more day' },
  { value: '604800', label: 'old secret works 7 more days' },
];

export function ApiKeysPanel() {
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const rotate = useRotateApiKey();
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [grace, setGrace] = useState('3600');
  const [confirming, setConfirming] = useState<string | null>(null);

  const columns: Column<ApiKeyView>[] = [
    { id: 'name', header: 'Name', cell: (key) => key.name },
    { id: 'key', header: 'Key', cell: (key) => <code>{`${key.prefix}…${key.lastFour}`}</code> },
    {
      id: 'scopes',
      header: 'Scopes',
      cell: (key) => <span className="small">{key.scopes.join(', ')}</span>,
    },
    { id: 'status', header: 'Status', cell: (key) => <StatusBadge status={key.status} /> },
    {
      id: 'expires',
      header: 'Expires',
      cell: (key) => (key.expiresAt ? formatInstant(key.expiresAt) : 'never'),
    },
    { id: 'used', header: 'Last used', cell: (key) => formatInstant(key.lastUsedAt) },
    {
      id: 'actions',
      header: 'Actions',
      cell: (key) =>
        key.status !== 'active' ? null : (
          <div className="row-actions">
            <button
              type="button"
              aria-label={`Rotate ${key.name}`}
              disabled={rotate.isPending}
              onClick={() =>
                rotate.mutate(
                  { id: key.id, gracePeriodSeconds: Number(grace) },
                  {
                    onSuccess: (rotated) =>
                      setSecret({ label: `New secret of ${rotated.name}`, value: rotated.secret }),
                  },
                )
              }
            >
              Rotate
            </button>
            {confirming === key.id ? (
              <button
                type="button"
                className="danger"
                onClick={() => revoke.mutate(key.id, { onSettled: () => setConfirming(null) })}
              >
                Confirm revoke
              </button>
            ) : (
              <button
                type="button"
                aria-label={`Revoke ${key.name}`}
                onClick={() => setConfirming(key.id)}
              >
                Revoke
              </button>
            )}
          </div>
        ),
    },
  ];

  return (
    <section aria-label="API keys">
      <CreateApiKey onCreated={(name, value) => setSecret({ label: `Secret of ${name}`, value })} />
      {secret && (
        <SecretOnce label={secret.label} value={secret.value} onDismiss={() => setSecret(null)} />
      )}
      {revoke.error && <ProblemDetails error={revoke.error} />}
      {rotate.error && <ProblemDetails error={rotate.error} />}
      <div className="filters">
        <SelectField label="When rotating" value={grace} options={GRACE} onChange={setGrace} />
      </div>
      <DataTable
        caption="API keys"
        columns={columns}
        rows={keys.items}
        rowKey={(key) => key.id}
        isLoading={keys.isLoading}
        error={keys.error}
        onRetry={keys.refetch}
        empty="No API keys yet."
        pager={pagerOf(keys)}
      />
    </section>
  );
}

function CreateApiKey(props: { onCreated: (name: string, secret: string) => void }) {
  const permissions = usePermissions();
  const create = useCreateApiKey();
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = apiKeyBody(form);
    setErrors(body.ok ? {} : body.errors);
    if (!body.ok) return;
    create.mutate(body.data, {
      onSuccess: (key) => {
        setForm(EMPTY);
        props.onCreated(key.name, key.secret);
      },
      onError: (error) => error instanceof ApiProblem && setErrors(error.fieldErrors()),
    });
  };
  return (
    <form className="panel form" onSubmit={submit} noValidate aria-label="Create an API key">
      <h2>Create an API key</h2>
      <TextField
        label="Key name"
        value={form.name}
        onChange={(name) => setForm({ ...form, name })}
        error={errors.name}
      />
      <CheckboxGroup
        legend="Scopes"
        options={API_KEY_SCOPES}
        value={form.scopes}
        onChange={(scopes) => setForm({ ...form, scopes })}
        error={errorFor(errors, 'scopes')}
        // Nobody can grant a scope they do not hold (the API refuses with 403).
        disabled={(scope) => !permissions.can(scope as ApiKeyScope)}
      />
      <TextField
        label="Expires on"
        type="date"
        value={form.expiresOn}
        onChange={(expiresOn) => setForm({ ...form, expiresOn })}
        error={errors.expiresOn}
        hint="Leave empty for a key that does not expire. It stops at the end of that day (UTC)."
      />
      {create.error && <ProblemDetails error={create.error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </div>
    </form>
  );
}
