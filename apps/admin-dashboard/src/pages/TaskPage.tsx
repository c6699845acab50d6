import type { TaskDefinition, TaskVersionView } from '@gnomon/contracts';
import { useMemo, useState, type FormEvent } from 'react';
import { ApiProblem } from '../api/problem';
import { DataTable, type Column } from '../components/DataTable';
import { SelectField, TextArea, TextField } from '../components/Field';
import { pagerOf } from '../components/Pager';
import { ProblemDetails } from '../components/ProblemDetails';
import { runInputBody } from '../forms/bodies';
import { inputFieldsOf, inputOf } from '../forms/run-input';
import type { FieldErrors } from '../forms/validate';
import { formatInstant } from '../format';
import { useStartRun } from '../hooks/runs';
import { usePermissions } from '../hooks/session';
import { useTask, useTaskVersion, useTaskVersions } from '../hooks/tasks';
import { useRouter } from '../router';
import { JsonView } from './run/JsonView';

export default function TaskPage(props: { params: Record<string, string> }) {
  const task = useTask(props.params.id);
  const versions = useTaskVersions(props.params.id);
  const [version, setVersion] = useState<number | null>(null);
  const shown = useTaskVersion(props.params.id, version);
  const canRun = usePermissions().can('runs:write');

  if (task.error) return <ProblemDetails error={task.error} onRetry={() => void task.refetch()} />;
  if (!task.data) return <p role="status">Loading the task…</p>;
  const definition: TaskDefinition =
    version && shown.data ? shown.data.definition : task.data.definition;
  const columns: Column<TaskVersionView>[] = [
    {
      id: 'version',
      header: 'Version',
      cell: (row) => (
        <button
          type="button"
          className="link-button"
          aria-pressed={(version ?? task.data.currentVersion) === row.version}
          onClick={() => setVersion(row.version === task.data.currentVersion ? null : row.version)}
        >
          v{row.version}
          {row.version === task.data.currentVersion ? ' (current)' : ''}
        </button>
      ),
    },
    {
      id: 'by',
      header: 'Written by',
      cell: (row) => <code className="small">{row.createdBy ?? '—'}</code>,
    },
    { id: 'at', header: 'Written', cell: (row) => formatInstant(row.createdAt) },
  ];

  return (
    <>
      <h1>Task {task.data.name}</h1>
      {task.data.description && <p>{task.data.description}</p>}
      {canRun && <StartRun taskId={task.data.id} definition={task.data.definition} />}
      <div className="columns">
        <section className="panel" aria-label="Definition">
          <h2>Definition v{version ?? task.data.currentVersion}</h2>
          <ol className="plain steps-list" aria-label="Definition steps">
            {definition.steps.map((step) => (
              <li key={step.id}>
                <code>{step.id}</code> <span className="muted">{step.type}</span>
                {step.id === definition.start && <span className="badge badge-live">start</span>}
              </li>
            ))}
          </ol>
          <JsonView label="JSON" value={definition} />
        </section>
        <section aria-label="Versions">
          <DataTable
            caption="Versions"
            columns={columns}
            rows={versions.items}
            rowKey={(row) => String(row.version)}
            isLoading={versions.isLoading}
            error={versions.error}
            onRetry={versions.refetch}
            empty="No versions."
            pager={pagerOf(versions)}
          />
        </section>
      </div>
    </>
  );
}

function StartRun(props: { taskId: string; definition: TaskDefinition }) {
  const start = useStartRun();
  const { navigate } = useRouter();
  const fields = useMemo(() => inputFieldsOf(props.definition.inputSchema), [props.definition]);
  const [values, setValues] = useState<Record<string, string>>({});
  const [json, setJson] = useState('{}');
  const [errors, setErrors] = useState<FieldErrors>({});
  // One key per form: a double submit starts one run.
  const [idempotencyKey, setIdempotencyKey] = useState(() => crypto.randomUUID());

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let text = json;
    if (fields) {
      const built = inputOf(fields, values);
      if (Object.keys(built.errors).length > 0) {
        setErrors(built.errors);
        return;
      }
      text = JSON.stringify(built.input);
    }
    const body = runInputBody(props.taskId, text);
    setErrors(body.ok ? {} : body.errors);
    if (!body.ok) return;
    start.mutate(
      { body: body.data, idempotencyKey },
      {
        onSuccess: (run) => {
          setIdempotencyKey(crypto.randomUUID());
          navigate(`/runs/${run.id}`);
        },
        onError: (error) => {
          if (!(error instanceof ApiProblem)) return;
          // body.input.ticket → the "ticket" field.
          const byField: FieldErrors = {};
          for (const [path, message] of Object.entries(error.fieldErrors()))
            byField[fields ? path.replace(/^input\.?/, '') || 'input' : 'input'] ??= message;
          setErrors(byField);
        },
      },
    );
  };

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-label="Start a run">
      <h2>Start a run</h2>
      {fields ? (
        fields.map((field) =>
          field.type === 'boolean' ? (
            <label key={field.name} className="checkbox">
              <input
                type="checkbox"
                checked={values[field.name] === 'true'}
                onChange={(event) =>
                  setValues({ ...values, [field.name]: String(event.target.checked) })
                }
              />
              {field.name}
            </label>
          ) : field.options ? (
            <SelectField
              key={field.name}
              label={field.name}
              value={values[field.name] ?? ''}
              options={['', ...field.options]}
              onChange={(value) => setValues({ ...values, [field.name]: value })}
              error={errors[field.name]}
              hint={field.description}
            />
          ) : (
            <TextField
              key={field.name}
              label={`${field.name}${field.required ? '' : ' (optional)'}`}
              inputMode={field.type === 'string' ? undefined : 'decimal'}
              value={values[field.name] ?? ''}
              onChange={(value) => setValues({ ...values, [field.name]: value })}
              error={errors[field.name]}
              hint={field.description}
            />
          ),
        )
      ) : (
        <TextArea
          label="Input (JSON)"
          rows={6}
          value={json}
          onChange={setJson}
          error={errors.input}
          spellCheck={false}
        />
      )}
      {errors.input && fields && <p className="field-error">{errors.input}</p>}
      {start.error && <ProblemDetails error={start.error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={start.isPending}>
          Start run
        </button>
      </div>
    </form>
  );
}
