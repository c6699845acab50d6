/** A status as a coloured badge; the text carries the meaning (colour only supports it). */
export function StatusBadge(props: { status: string }) {
  const tone = toneOf(props.status);
  return <span className={`badge badge-${tone}`}>{props.status.replace(/_/g, ' ')}</span>;
}

export function toneOf(status: string): 'ok' | 'bad' | 'wait' | 'live' | 'idle' {
  switch (status.toUpperCase()) {
    case 'SUCCEEDED':
    case 'APPROVED':
    case 'ACTIVE':
    case 'CLOSED':
      return 'ok';
    case 'FAILED':
    case 'BUDGET_EXCEEDED':
    case 'TIMED_OUT':
    case 'REJECTED':
    case 'REVOKED':
    case 'SUSPENDED':
    case 'OPEN':
    case 'EXPIRED':
      return 'bad';
    case 'AWAITING_APPROVAL':
    case 'PENDING':
    case 'RETRYING':
    case 'HALF-OPEN':
      return 'wait';
    case 'RUNNING':
    case 'QUEUED':
      return 'live';
    default:
      return 'idle';
  }
}

export function Stat(props: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <p className="stat-label">{props.label}</p>
      <p className="stat-value">{props.value}</p>
      {props.hint && <p className="muted small">{props.hint}</p>}
    </div>
  );
}
