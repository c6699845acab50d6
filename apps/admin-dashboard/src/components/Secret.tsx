import { useState } from 'react';

/**
 * A secret the API shows once (a new API key, an invitation link): displayed with a copy
 * button and the warning that it cannot be shown again.
 */
export function SecretOnce(props: { label: string; value: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.value);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
  };
  return (
    <section className="secret" aria-label={props.label} role="region">
      <p>
        <strong>{props.label}</strong> — copy it now: it is shown only once.
      </p>
      <div className="secret-row">
        <code className="secret-value" data-testid="secret-value">
          {props.value}
        </code>
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="muted small" aria-live="polite">
        {copied === 'yes'
          ? 'Copied to the clipboard.'
          : copied === 'failed'
            ? 'Copy failed: select the text and copy it.'
            : ''}
      </p>
      <button type="button" onClick={props.onDismiss}>
        I have stored it
      </button>
    </section>
  );
}
