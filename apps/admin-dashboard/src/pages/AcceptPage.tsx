import { useState, type FormEvent } from 'react';
import { NewPassword } from '@gnomon/contracts';
import { z } from 'zod';
import { ProblemDetails } from '../components/ProblemDetails';
import { TextField } from '../components/Field';
import { validate, type FieldErrors } from '../forms/validate';
import { useAcceptInvitation } from '../hooks/session';
import { useRouter } from '../router';

/** POST /auth/accept's rules (its NewPassword), and the repeated password. */
export const AcceptForm = z
  .strictObject({
    token: z.string().min(1, 'this link has no token: ask for a new one'),
    password: NewPassword,
    confirm: z.string(),
  })
  .refine((form) => form.password === form.confirm, {
    message: 'the passwords differ',
    path: ['confirm'],
  });

/** The page an invitation or reset link opens: choose a password, then you are signed in. */
export default function AcceptPage() {
  const { search, navigate } = useRouter();
  const accept = useAcceptInvitation();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const token = search.get('token') ?? '';

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = validate(AcceptForm, { token, password, confirm });
    setErrors(checked.ok ? {} : checked.errors);
    if (!checked.ok) return;
    accept.mutate({ token, password }, { onSuccess: () => navigate('/', { replace: true }) });
  };

  return (
    <main className="centered sign-in" id="main">
      <h1>Choose your password</h1>
      <p>This link signs you in to Gnomon once. Choose the password you will sign in with.</p>
      <form onSubmit={submit} noValidate aria-label="Choose your password">
        {errors.token && <p className="field-error">{errors.token}</p>}
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={errors.password}
          hint="At least 12 characters."
        />
        <TextField
          label="Repeat the password"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={setConfirm}
          error={errors.confirm}
        />
        {accept.error && (
          <ProblemDetails
            error={accept.error}
            title="This link cannot be used (it may have expired or been used already)"
          />
        )}
        <button type="submit" className="primary" disabled={accept.isPending}>
          Set password and sign in
        </button>
      </form>
    </main>
  );
}
