import type { BudgetPolicyView, RateLimits } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../../api/problem';
import { TextField } from '../../components/Field';
import { ProblemDetails } from '../../components/ProblemDetails';
import { budgetBody, limitsBody, type BudgetForm, type LimitsForm } from '../../forms/bodies';
import type { FieldErrors } from '../../forms/validate';
import { formatMicros, microsToUsdText } from '../../format';
import { usePermissions } from '../../hooks/session';
import { useBudget, useLimits, useSaveBudget, useSaveLimits } from '../../hooks/tasks';

/** Rate limits and budgets: everyone with usage:read sees them, platform admins change them. */
export function LimitsPanel() {
  const limits = useLimits();
  const budget = useBudget();
  return (
    <div className="columns">
      {limits.error && <ProblemDetails error={limits.error} />}
      {limits.data && <LimitsEditor key={JSON.stringify(limits.data)} limits={limits.data} />}
      {budget.error && <ProblemDetails error={budget.error} />}
      {budget.data && (
        <BudgetEditor key={JSON.stringify(budget.data)} policies={budget.data.policies} />
      )}
      {(limits.isPending || budget.isPending) && <p role="status">Loading…</p>}
    </div>
  );
}

const text = (value: number | null) => (value === null ? '' : String(value));

function LimitsEditor(props: { limits: RateLimits }) {
  const canEdit = usePermissions().isPlatformAdmin;
  const save = useSaveLimits();
  const [form, setForm] = useState<LimitsForm>({
    tenantRequestsPerMinute: text(props.limits.tenantRequestsPerMinute),
    tenantTokensPerMinute: text(props.limits.tenantTokensPerMinute),
    userRequestsPerMinute: text(props.limits.userRequestsPerMinute),
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = limitsBody(form);
    setErrors(body.ok ? {} : body.errors);
    if (body.ok)
      save.mutate(body.data, {
        onError: (e) => e instanceof ApiProblem && setErrors(e.fieldErrors()),
      });
  };
  const field = (name: keyof LimitsForm, label: string) => (
    <TextField
      label={label}
      inputMode="numeric"
      value={form[name]}
      onChange={(value) => setForm({ ...form, [name]: value })}
      error={errors[name]}
      readOnly={!canEdit}
      placeholder="unlimited"
    />
  );
  return (
    <form className="panel form" onSubmit={submit} noValidate aria-label="Rate limits">
      <h2>Rate limits (per minute)</h2>
      {field('tenantRequestsPerMinute', 'Tenant requests per minute')}
      {field('tenantTokensPerMinute', 'Tenant tokens per minute')}
      {field('userRequestsPerMinute', 'Requests per minute per API key')}
      {save.error && <ProblemDetails error={save.error} />}
      {save.isSuccess && <p role="status">Saved.</p>}
      {canEdit && (
        <button type="submit" className="primary" disabled={save.isPending}>
          Save limits
        </button>
      )}
    </form>
  );
}

function BudgetEditor(props: { policies: BudgetPolicyView[] }) {
  const canEdit = usePermissions().isPlatformAdmin;
  const save = useSaveBudget();
  const tenantPolicy = (period: 'DAILY' | 'MONTHLY') =>
    props.policies.find((policy) => policy.scope === 'tenant' && policy.period === period);
  const [form, setForm] = useState<BudgetForm>({
    dailyUsd: tenantPolicy('DAILY') ? microsToUsdText(tenantPolicy('DAILY')!.limitMicros) : '',
    monthlyUsd: tenantPolicy('MONTHLY')
      ? microsToUsdText(tenantPolicy('MONTHLY')!.limitMicros)
      : '',
    softThresholdPct: String(
      tenantPolicy('MONTHLY')?.softThresholdPct ?? tenantPolicy('DAILY')?.softThresholdPct ?? 80,
    ),
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = budgetBody(form, props.policies);
    setErrors(body.ok ? {} : body.errors);
    if (body.ok) save.mutate(body.data);
  };
  return (
    <form className="panel form" onSubmit={submit} noValidate aria-label="Budget">
      <h2>Budget</h2>
      <ul className="plain">
        {props.policies.length === 0 && <li className="muted">No budget policies.</li>}
        {props.policies.map((policy) => (
          <li key={`${policy.apiKeyId ?? 'tenant'}:${policy.period}`}>
            {policy.scope === 'tenant' ? 'Tenant' : `Key ${policy.apiKeyId?.slice(0, 8)}…`},{' '}
            {policy.period.toLowerCase()}: {formatMicros(policy.spentMicros)} spent of{' '}
            {formatMicros(policy.limitMicros)} (soft at {policy.softThresholdPct} %)
          </li>
        ))}
      </ul>
      {canEdit && (
        <>
          <TextField
            label="Daily limit (USD)"
            inputMode="decimal"
            value={form.dailyUsd}
            onChange={(dailyUsd) => setForm({ ...form, dailyUsd })}
            error={errors.dailyUsd}
            placeholder="none"
          />
          <TextField
            label="Monthly limit (USD)"
            inputMode="decimal"
            value={form.monthlyUsd}
            onChange={(monthlyUsd) => setForm({ ...form, monthlyUsd })}
            error={errors.monthlyUsd}
            placeholder="none"
          />
          <TextField
            label="Soft threshold (%)"
            inputMode="numeric"
            value={form.softThresholdPct}
            onChange={(softThresholdPct) => setForm({ ...form, softThresholdPct })}
            error={errors.softThresholdPct}
            hint="Share of the limit at which the tenant is warned."
          />
          {errors.form && <p className="field-error">{errors.form}</p>}
          {save.error && <ProblemDetails error={save.error} />}
          {save.isSuccess && <p role="status">Saved.</p>}
          <button type="submit" className="primary" disabled={save.isPending}>
            Save budget
          </button>
        </>
      )}
    </form>
  );
}
