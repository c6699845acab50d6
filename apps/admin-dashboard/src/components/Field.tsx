import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';

interface FieldShell {
  label: string;
  error?: string;
  hint?: ReactNode;
}

/** Label, control, hint and error, wired together for assistive technology. */
function Shell(props: FieldShell & { id: string; children: ReactNode }) {
  return (
    <div className={`field${props.error ? ' invalid' : ''}`}>
      <label htmlFor={props.id}>{props.label}</label>
      {props.children}
      {props.hint && (
        <p className="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p className="field-error" id={`${props.id}-error`}>
          {props.error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, props: FieldShell): string | undefined {
  const ids = [props.hint ? `${id}-hint` : '', props.error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

export function TextField(
  props: FieldShell &
    Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange'> & {
      value: string;
      onChange: (value: string) => void;
    },
) {
  const { label, error, hint, onChange, ...input } = props;
  const id = useId();
  return (
    <Shell id={id} label={label} error={error} hint={hint}>
      <input
        id={id}
        {...input}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props)}
      />
    </Shell>
  );
}

export function TextArea(
  props: FieldShell &
    Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'onChange'> & {
      value: string;
      onChange: (value: string) => void;
    },
) {
  const { label, error, hint, onChange, ...area } = props;
  const id = useId();
  return (
    <Shell id={id} label={label} error={error} hint={hint}>
      <textarea
        id={id}
        {...area}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props)}
      />
    </Shell>
  );
}

export function SelectField<T extends string>(
  props: FieldShell &
    Omit<SelectHTMLAttributes<HTMLSelectElement>, 'onChange' | 'value'> & {
      value: T;
      options: readonly (T | { value: T; label: string })[];
      onChange: (value: T) => void;
    },
) {
  const { label, error, hint, onChange, options, ...select } = props;
  const id = useId();
  return (
    <Shell id={id} label={label} error={error} hint={hint}>
      <select
        id={id}
        {...select}
        onChange={(event) => onChange(event.target.value as T)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, props)}
      >
        {options.map((option) => {
          const { value, label: text } =
            typeof option === 'string' ? { value: option, label: option } : option;
          return (
            <option key={value} value={value}>
              {text}
            </option>
          );
        })}
      </select>
    </Shell>
  );
}

/** A group of checkboxes for a set of values (e.g. API key scopes). */
export function CheckboxGroup(props: {
  legend: string;
  options: readonly string[];
  value: string[];
  onChange: (value: string[]) => void;
  error?: string;
  disabled?: (option: string) => boolean;
}) {
  const id = useId();
  return (
    <fieldset className={`field checkbox-group${props.error ? ' invalid' : ''}`}>
      <legend>{props.legend}</legend>
      <div className="checkboxes">
        {props.options.map((option) => (
          <label key={option} className="checkbox">
            <input
              type="checkbox"
              checked={props.value.includes(option)}
              disabled={props.disabled?.(option)}
              onChange={(event) =>
                props.onChange(
                  event.target.checked
                    ? [...props.value, option]
                    : props.value.filter((v) => v !== option),
                )
              }
            />
            {option}
          </label>
        ))}
      </div>
      {props.error && (
        <p className="field-error" id={`${id}-error`}>
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
