import { ApiProblem } from '../api/problem';

/** An API refusal as the API described it: title, detail, field errors and the request id. */
export function ProblemDetails(props: { error: unknown; onRetry?: () => void; title?: string }) {
  if (!props.error) return null;
  const problem = props.error instanceof ApiProblem ? props.error.problem : null;
  const message = props.error instanceof Error ? props.error.message : 'unexpected error';
  return (
    <div className="problem" role="alert">
      <p className="problem-title">
        <strong>{props.title ?? problem?.title ?? 'Something went wrong'}</strong>
        {problem && <span className="problem-code"> ({problem.code})</span>}
      </p>
      {(problem?.detail || !problem) && <p>{problem?.detail || message}</p>}
      {problem?.errors && problem.errors.length > 1 && (
        <ul>
          {problem.errors.map((error) => (
            <li key={`${error.path}:${error.message}`}>
              <code>{error.path}</code>: {error.message}
            </li>
          ))}
        </ul>
      )}
      {problem?.requestId && (
        <p className="muted small">
          Request id <code>{problem.requestId}</code>
          {problem.errorId && (
            <>
              {' '}
              · error id <code>{problem.errorId}</code>
            </>
          )}
        </p>
      )}
      {props.onRetry && (
        <button type="button" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
