import { APPROVAL_STATUSES, type ApprovalStatus, type ApprovalView } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../api/problem';
import { TextArea, SelectField } from '../components/Field';
import { Pager, pagerOf } from '../components/Pager';
import { ProblemDetails } from '../components/ProblemDetails';
import { StatusBadge } from '../components/Status';
import { rejectBody } from '../forms/bodies';
import { formatInstant } from '../format';
import { useApprovals, useDecideApproval, useRun } from '../hooks/runs';
import { usePermissions } from '../hooks/session';
import { Link } from '../router';
import { JsonView } from './run/JsonView';

export default function ApprovalsPage() {
  const [status, setStatus] = useState<ApprovalStatus | ''>('PENDING');
  const approvals = useApprovals(status);
  return (
    <>
      <h1>Approvals</h1>
      <div className="filters">
        <SelectField
          label="Status"
          value={status}
          options={[{ value: '', label: 'Any' }, ...APPROVAL_STATUSES]}
          onChange={setStatus}
        />
      </div>
      {approvals.error ? (
        <ProblemDetails error={approvals.error} onRetry={approvals.refetch} />
      ) : approvals.isLoading ? (
        <p role="status">Loading…</p>
      ) : approvals.items.length === 0 ? (
        <p className="table-status empty">
          {status === 'PENDING' ? 'Nothing waits for a decision.' : 'No approvals match.'}
        </p>
      ) : (
        <ul className="cards" aria-label="Approvals">
          {approvals.items.map((approval) => (
            <li key={approval.id}>
              <ApprovalCard approval={approval} />
            </li>
          ))}
        </ul>
      )}
      <Pager {...pagerOf(approvals)} />
    </>
  );
}

/** One approval request with its run's context, and the decision form. */
function ApprovalCard(props: { approval: ApprovalView }) {
  const { approval } = props;
  const run = useRun(approval.runId);
  const canDecide = usePermissions().can('approvals:write');
  return (
    <article
      className="panel approval"
      aria-label={`Approval ${approval.stepKey} of ${run.data?.taskName ?? 'a run'}`}
    >
      <header className="page-head">
        <h2>{approval.prompt}</h2>
        <StatusBadge status={approval.status} />
      </header>
      <p className="small">
        Step <code>{approval.stepKey}</code> of{' '}
        <Link to={`/runs/${approval.runId}`}>
          {run.data ? `${run.data.taskName} v${run.data.taskVersion}` : 'run'} (
          {approval.runId.slice(0, 8)}…)
        </Link>{' '}
        · requested {formatInstant(approval.createdAt)} · expires{' '}
        {formatInstant(approval.expiresAt)} · may be decided by{' '}
        {approval.approverRoles.map((role) => role.toLowerCase()).join(', ')}
      </p>
      {run.data && (
        <details>
          <summary>Run input</summary>
          <JsonView label="Input" value={run.data.input} />
        </details>
      )}
      {approval.status === 'PENDING' && canDecide ? (
        <Decide approval={approval} />
      ) : (
        approval.decidedAt && (
          <p className="small">
            Decided {formatInstant(approval.decidedAt)} by <code>{approval.decidedBy}</code>
            {approval.reason ? `: “${approval.reason}”` : ''}
          </p>
        )
      )}
    </article>
  );
}

function Decide(props: { approval: ApprovalView }) {
  const decide = useDecideApproval();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | undefined>();
  const submit = (decision: 'approve' | 'reject') => (event?: FormEvent) => {
    event?.preventDefault();
    if (decision === 'reject') {
      const body = rejectBody(reason);
      setError(body.ok ? undefined : 'say why you reject it');
      if (!body.ok) return;
    }
    decide.mutate(
      { id: props.approval.id, decision, reason: reason.trim() || undefined },
      { onError: (e) => e instanceof ApiProblem && setError(e.fieldErrors().reason) },
    );
  };
  return (
    <form className="decide" onSubmit={submit('approve')} noValidate aria-label="Decide">
      <TextArea
        label="Reason"
        rows={2}
        maxLength={2000}
        value={reason}
        onChange={setReason}
        error={error}
        hint="Optional to approve, required to reject."
      />
      {decide.error && <ProblemDetails error={decide.error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={decide.isPending}>
          Approve
        </button>
        <button
          type="button"
          className="danger"
          disabled={decide.isPending}
          onClick={() => submit('reject')()}
        >
          Reject
        </button>
      </div>
    </form>
  );
}
