import { isTerminalRunStatus } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ProblemDetails } from '../components/ProblemDetails';
import { SelectField, TextField } from '../components/Field';
import { Stat, StatusBadge } from '../components/Status';
import { formatCount, formatDuration, formatInstant, formatMicros } from '../format';
import { useCancelRun, useReplayRun, useRun, useRunSteps, useRunTimeline } from '../hooks/runs';
import { usePermissions } from '../hooks/session';
import { Link, useRouter } from '../router';
import { JsonView } from './run/JsonView';
import { StepDetail } from './run/StepDetail';
import { Timeline } from './run/Timeline';

export default function RunPage(props: { params: Record<string, string> }) {
  const runId = props.params.id;
  const run = useRun(runId);
  const live = useRunTimeline(runId);
  const steps = useRunSteps(runId);
  const [selected, setSelected] = useState<string | null>(null);
  const canWrite = usePermissions().can('runs:write');

  if (run.error) return <ProblemDetails error={run.error} onRetry={() => void run.refetch()} />;
  if (!run.data) return <p role="status">Loading the run…</p>;
  const status = live.timeline.runStatus ?? run.data.status;
  const finished = isTerminalRunStatus(status);
  const stepKeys = [...new Set((steps.data ?? []).map((step) => step.stepKey))];

  return (
    <>
      <div className="page-head start">
        <h1>
          Run <code className="small">{run.data.id}</code>
        </h1>
        <StatusBadge status={status} />
        <span className={`live-dot${live.connected ? ' on' : ''}`} role="status">
          {live.connected ? 'Live' : finished ? 'Finished' : 'Connecting…'}
        </span>
      </div>
      <p>
        Task <Link to={`/tasks/${run.data.taskId}`}>{run.data.taskName}</Link> version{' '}
        {run.data.taskVersion}
        {run.data.replayOf && (
          <>
            {' '}
            · replay of{' '}
            <Link to={`/runs/${run.data.replayOf}`}>
              {run.data.replayOf.slice(0, 8)}…
            </Link> from <code>{run.data.replayFrom}</code>
          </>
        )}{' '}
        · started {formatInstant(run.data.createdAt)}
      </p>
      <div className="stats">
        <Stat label="Duration" value={formatDuration(run.data.durationMs)} />
        <Stat
          label="Tokens"
          value={formatCount(run.data.usage.inputTokens + run.data.usage.outputTokens)}
        />
        <Stat label="Cost" value={formatMicros(run.data.usage.costMicros)} />
      </div>
      {status === 'AWAITING_APPROVAL' && (
        <p className="notice" role="status">
          This run waits for an approval. <Link to="/approvals">Open the approvals</Link>.
        </p>
      )}
      {run.data.error && (
        <ProblemDetails
          error={new Error(`${run.data.error.code}: ${run.data.error.message}`)}
          title="The run failed"
        />
      )}
      {canWrite && !finished && <CancelRun runId={runId} />}
      {canWrite && finished && stepKeys.length > 0 && (
        <ReplayRun runId={runId} stepKeys={stepKeys} />
      )}
      <section className="panel" aria-label="Timeline">
        <h2>Timeline</h2>
        {live.error && <ProblemDetails error={live.error} />}
        <Timeline
          timeline={live.timeline}
          live={!finished}
          selected={selected}
          onSelect={setSelected}
        />
      </section>
      {selected && (
        <StepDetail
          key={selected}
          runId={runId}
          step={steps.data?.find((step) => step.id === selected)}
          loading={steps.isFetching}
        />
      )}
      <div className="columns">
        <JsonView label="Run input" value={run.data.input} />
        {finished && (
          <JsonView
            label="Run output"
            value={run.data.outputRef ? `(stored apart: ${run.data.outputRef})` : run.data.output}
          />
        )}
      </div>
    </>
  );
}

function CancelRun(props: { runId: string }) {
  const cancel = useCancelRun();
  const [reason, setReason] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    cancel.mutate({ id: props.runId, reason: reason.trim() || undefined });
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Cancel the run">
      <TextField
        label="Reason for cancelling (optional)"
        value={reason}
        onChange={setReason}
        maxLength={2000}
      />
      <button type="submit" className="danger" disabled={cancel.isPending}>
        Cancel run
      </button>
      {cancel.error && <ProblemDetails error={cancel.error} />}
    </form>
  );
}

function ReplayRun(props: { runId: string; stepKeys: string[] }) {
  const replay = useReplayRun();
  const { navigate } = useRouter();
  const [fromStep, setFromStep] = useState(props.stepKeys[0]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    replay.mutate(
      { id: props.runId, fromStep },
      { onSuccess: (created) => navigate(`/runs/${created.id}`) },
    );
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Replay the run">
      <SelectField
        label="Replay from step"
        value={fromStep}
        options={props.stepKeys}
        onChange={setFromStep}
      />
      <button type="submit" disabled={replay.isPending}>
        Replay
      </button>
      {replay.error && <ProblemDetails error={replay.error} />}
    </form>
  );
}
