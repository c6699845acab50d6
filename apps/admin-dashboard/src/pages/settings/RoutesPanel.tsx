import type { LlmRouteConfigView } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../../api/problem';
import { TextArea, TextField } from '../../components/Field';
import { ProblemDetails } from '../../components/ProblemDetails';
import { routesBody, type RoutesForm } from '../../forms/bodies';
import type { FieldErrors } from '../../forms/validate';
import { formatInstant } from '../../format';
import { usePermissions } from '../../hooks/session';
import { useLlmRoutes, useSaveLlmRoutes } from '../../hooks/tasks';

const formOf = (config: LlmRouteConfigView): RoutesForm => ({
  allowedModels: (config.allowedModels ?? []).join('\n'),
  routes: Object.entries(config.routes).map(([alias, route]) => ({
    alias,
    chain: route.chain.join(', '),
  })),
});

/** Model routes (aliases with fallback chains) and the model allow-list of the tenant. */
export function RoutesPanel() {
  const routes = useLlmRoutes();
  if (routes.error)
    return <ProblemDetails error={routes.error} onRetry={() => void routes.refetch()} />;
  if (!routes.data) return <p role="status">Loading…</p>;
  // Keyed by version: a saved document resets the form to what the API stored.
  return <RoutesEditor key={routes.data.version} config={routes.data} />;
}

function RoutesEditor(props: { config: LlmRouteConfigView }) {
  const permissions = usePermissions();
  const canEdit = permissions.can('keys:manage');
  const save = useSaveLlmRoutes();
  const [form, setForm] = useState(() => formOf(props.config));
  const [errors, setErrors] = useState<FieldErrors>({});

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = routesBody(form);
    setErrors(body.ok ? {} : body.errors);
    if (!body.ok) return;
    save.mutate(body.data, {
      onError: (error) => error instanceof ApiProblem && setErrors(error.fieldErrors()),
    });
  };
  const setRow = (i: number, field: 'alias' | 'chain', value: string) =>
    setForm({
      ...form,
      routes: form.routes.map((row, j) => (j === i ? { ...row, [field]: value } : row)),
    });

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-label="Model routes">
      <h2>Model routes</h2>
      <p className="muted small">
        Version {props.config.version}
        {props.config.updatedAt
          ? `, saved ${formatInstant(props.config.updatedAt)}`
          : ', never saved'}
        . A task step or a gateway call names an alias; the gateway tries its chain in order.
      </p>
      <fieldset disabled={!canEdit}>
        <legend className="visually-hidden">Routes</legend>
        {form.routes.length === 0 && (
          <p className="muted">No routes: calls name models directly.</p>
        )}
        {form.routes.map((row, i) => (
          <div className="route-row" key={i}>
            <TextField
              label={`Alias ${i + 1}`}
              value={row.alias}
              onChange={(value) => setRow(i, 'alias', value)}
              error={errors[`routes[${i}].alias`]}
            />
            <TextField
              label={`Fallback chain ${i + 1}`}
              value={row.chain}
              onChange={(value) => setRow(i, 'chain', value)}
              error={errors[`routes[${i}].chain`]}
              hint="provider/model, in order, separated by commas"
            />
            {canEdit && (
              <button
                type="button"
                aria-label={`Remove route ${row.alias || i + 1}`}
                onClick={() => setForm({ ...form, routes: form.routes.filter((_, j) => j !== i) })}
              >
                Remove
              </button>
            )}
          </div>
        ))}
        {canEdit && (
          <button
            type="button"
            onClick={() => setForm({ ...form, routes: [...form.routes, { alias: '', chain: '' }] })}
          >
            Add a route
          </button>
        )}
        <TextArea
          label="Allowed models"
          rows={4}
          value={form.allowedModels}
          onChange={(allowedModels) => setForm({ ...form, allowedModels })}
          error={errors.allowedModels ?? errors.routes}
          hint="One provider/model per line. Empty: every model the gateway offers."
        />
      </fieldset>
      {save.error && <ProblemDetails error={save.error} />}
      {save.isSuccess && <p role="status">Saved.</p>}
      {canEdit && (
        <div className="form-actions">
          <button type="submit" className="primary" disabled={save.isPending}>
            Save routes
          </button>
        </div>
      )}
    </form>
  );
}
