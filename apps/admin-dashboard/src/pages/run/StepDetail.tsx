import type { StepView } from '@gnomon/contracts';
import { useState } from 'react';
import { ProblemDetails } from '../../components/ProblemDetails';
import { StatusBadge } from '../../components/Status';
import { formatDuration, formatInstant } from '../../format';
import { useStepOutput } from '../../hooks/runs';
import { JsonView } from './JsonView';

/** One step's input, output (fetched on demand when it was offloaded), tool calls and error. */
export function StepDetail(props: { runId: string; step: StepView | undefined; loading: boolean }) {
  const { step } = props;
  const [wantOutput, setWantOutput] = useState(false);
  const output = useStepOutput(props.runId, step?.id ?? '', wantOutput && !!step);
  if (!step) {
    return (
      <p role="status">{props.loading ? 'Loading the step…' : 'This step has no record yet.'}</p>
    );
  }
  return (
    <section className="panel step-detail" aria-label={`Step ${step.stepKey} details`}>
      <h3>
        {step.stepKey}{' '}
        <span className="muted">
          (#{step.seq}, {step.type})
        </span>{' '}
        <StatusBadge status={step.status} />
      </h3>
      <p className="muted small">
        Started {formatInstant(step.startedAt)} · took {formatDuration(step.durationMs)} · model
        time {formatDuration(step.modelMs)}
      </p>
      {step.error && (
        <ProblemDetails
          error={new Error(`${step.error.code}: ${step.error.message}`)}
          title="Step failed"
        />
      )}
      <JsonView label="Input" value={step.input} />
      {step.outputRef ? (
        wantOutput ? (
          output.error ? (
            <ProblemDetails error={output.error} onRetry={() => void output.refetch()} />
          ) : output.isPending ? (
            <p role="status">Loading the output…</p>
          ) : (
            <JsonView label="Output" value={output.data} />
          )
        ) : (
          <p>
            The output is large and stored apart.{' '}
            <button type="button" onClick={() => setWantOutput(true)}>
              Load the output
            </button>
          </p>
        )
      ) : (
        <JsonView label="Output" value={step.output} />
      )}
      {step.toolCalls.length > 0 && (
        <>
          <h4>Tool calls</h4>
          <ul className="plain">
            {step.toolCalls.map((call) => (
              <li key={call.id}>
                <details>
                  <summary>
                    {call.tool} v{call.toolVersion} <StatusBadge status={call.status} />{' '}
                    {formatDuration(call.durationMs)}
                  </summary>
                  <JsonView label="Input" value={call.input} />
                  <JsonView
                    label={call.error ? 'Error' : 'Output'}
                    value={call.error ?? call.output}
                  />
                </details>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
