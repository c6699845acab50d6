import { useState } from 'react';

/** Shown at first; the rest of a large value is rendered only when asked for. */
const PREVIEW_CHARS = 4_000;

/** A JSON value, pretty-printed, truncated until "Show all" (big outputs stay cheap). */
export function JsonView(props: { value: unknown; label: string }) {
  const [all, setAll] = useState(false);
  const text =
    typeof props.value === 'string'
      ? props.value
      : (JSON.stringify(props.value, null, 2) ?? 'null');
  const long = text.length > PREVIEW_CHARS;
  return (
    <figure className="json-view">
      <figcaption>{props.label}</figcaption>
      <pre className="json" tabIndex={0}>
        {all || !long ? text : `${text.slice(0, PREVIEW_CHARS)}…`}
      </pre>
      {long && (
        <button type="button" onClick={() => setAll(!all)}>
          {all ? 'Show less' : `Show all (${Math.round(text.length / 1024)} KiB)`}
        </button>
      )}
    </figure>
  );
}
