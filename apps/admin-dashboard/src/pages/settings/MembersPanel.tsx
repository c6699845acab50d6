import { MEMBER_ROLES, type MemberRole, type MemberView } from '@gnomon/contracts';
import { useState, type FormEvent } from 'react';
import { ApiProblem } from '../../api/problem';
import type { InvitationView, MemberWithInvitation } from '../../api/views';
import { DataTable, type Column } from '../../components/DataTable';
import { SelectField, TextField } from '../../components/Field';
import { pagerOf } from '../../components/Pager';
import { ProblemDetails } from '../../components/ProblemDetails';
import { SecretOnce } from '../../components/Secret';
import { memberBody, type MemberForm } from '../../forms/bodies';
import type { FieldErrors } from '../../forms/validate';
import { formatInstant } from '../../format';
import { usePermissions } from '../../hooks/session';
import {
  useAddMember,
  useMembers,
  useRemoveMember,
  useResetLink,
  useUpdateMember,
} from '../../hooks/tenants';

const EMPTY: MemberForm = { email: '', name: '', role: 'MEMBER' };

/** The full link of an invitation or reset (the API gives its path below the dashboard). */
const linkOf = (invitation: InvitationView) =>
  new URL(invitation.url, window.location.origin).toString();

export function MembersPanel() {
  const permissions = usePermissions();
  const canManage = permissions.can('members:manage');
  const members = useMembers();
  const update = useUpdateMember();
  const remove = useRemoveMember();
  const reset = useResetLink();
  const [link, setLink] = useState<{ label: string; url: string } | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);

  const columns: Column<MemberView>[] = [
    { id: 'name', header: 'Name', cell: (member) => member.name },
    { id: 'email', header: 'Email', cell: (member) => member.email },
    {
      id: 'role',
      header: 'Role',
      cell: (member) =>
        canManage ? (
          <select
            aria-label={`Role of ${member.email}`}
            value={member.role}
            disabled={update.isPending}
            onChange={(event) =>
              update.mutate({ id: member.id, body: { role: event.target.value as MemberRole } })
            }
          >
            {MEMBER_ROLES.map((role) => (
              <option key={role} value={role}>
                {role.toLowerCase()}
              </option>
            ))}
          </select>
        ) : (
          member.role.toLowerCase()
        ),
    },
    { id: 'since', header: 'Member since', cell: (member) => formatInstant(member.createdAt) },
  ];
  if (canManage) {
    columns.push({
      id: 'actions',
      header: 'Actions',
      cell: (member) => (
        <div className="row-actions">
          <button
            type="button"
            aria-label={`Password reset link for ${member.email}`}
            onClick={() =>
              reset.mutate(member.id, {
                onSuccess: (invitation) =>
                  setLink({
                    label: `Password reset link for ${member.email}`,
                    url: linkOf(invitation),
                  }),
              })
            }
          >
            Reset link
          </button>
          {removing === member.id ? (
            <button
              type="button"
              className="danger"
              onClick={() => remove.mutate(member.id, { onSettled: () => setRemoving(null) })}
            >
              Confirm removal
            </button>
          ) : (
            <button
              type="button"
              aria-label={`Remove ${member.email}`}
              onClick={() => setRemoving(member.id)}
            >
              Remove
            </button>
          )}
        </div>
      ),
    });
  }

  return (
    <section aria-label="Members">
      {canManage && (
        <InviteMember
          onInvited={(member) =>
            setLink({
              label: `Invitation link for ${member.email}`,
              url: linkOf(member.invitation),
            })
          }
        />
      )}
      {link && <SecretOnce label={link.label} value={link.url} onDismiss={() => setLink(null)} />}
      {[update.error, remove.error, reset.error].map(
        (error, i) => error && <ProblemDetails key={i} error={error} />,
      )}
      <DataTable
        caption="Members"
        columns={columns}
        rows={members.items}
        rowKey={(member) => member.id}
        isLoading={members.isLoading}
        error={members.error}
        onRetry={members.refetch}
        empty="No members yet."
        pager={pagerOf(members)}
      />
    </section>
  );
}

function InviteMember(props: { onInvited: (member: MemberWithInvitation) => void }) {
  const add = useAddMember();
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = memberBody(form);
    setErrors(body.ok ? {} : body.errors);
    if (!body.ok) return;
    add.mutate(body.data, {
      onSuccess: (member) => {
        setForm(EMPTY);
        props.onInvited(member);
      },
      onError: (error) => error instanceof ApiProblem && setErrors(error.fieldErrors()),
    });
  };
  return (
    <form
      className="panel form inline-form"
      onSubmit={submit}
      noValidate
      aria-label="Invite a member"
    >
      <h2>Invite a member</h2>
      <TextField
        label="Email"
        type="email"
        value={form.email}
        onChange={(email) => setForm({ ...form, email })}
        error={errors.email}
      />
      <TextField
        label="Name"
        value={form.name}
        onChange={(name) => setForm({ ...form, name })}
        error={errors.name}
      />
      <SelectField
        label="Role"
        value={form.role}
        options={MEMBER_ROLES}
        onChange={(role) => setForm({ ...form, role })}
        error={errors.role}
      />
      {add.error && <ProblemDetails error={add.error} />}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={add.isPending}>
          Invite
        </button>
      </div>
    </form>
  );
}
