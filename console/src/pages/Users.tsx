import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link, useSearch } from 'wouter';
import { apiErrors, splitErrors } from '../client';
import { graphql } from '../graphql';
import { DataTable, Pager } from '../list';
import { ROLE_LABEL, ROLES, roleAtMost, useSession, type Role } from '../session';
import { Button, ConfirmDialog, Dialog, EmptyState, ErrorList, Loading, Notice, PageHeader, RoleBadge, Select, StatusBadge, TextInput, Unavailable, When } from '../ui';

const UsersQuery = graphql(`
  query Users($after: String, $kind: UserKind!) {
    users(first: 50, after: $after, kind: $kind) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id name email role status kind createdAt deactivatedAt }
    }
  }
`);

const CreateUser = graphql(`
  mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id name email role status kind createdAt deactivatedAt } }
`);
const CreateServiceAccount = graphql(`
  mutation CreateServiceAccount($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { id name email role status kind createdAt deactivatedAt } }
`);
const ChangeRole = graphql(`
  mutation ChangeRole($id: ID!, $role: Role!) { updateUserRole(id: $id, role: $role) { id role } }
`);
const Deactivate = graphql(`
  mutation Deactivate($id: ID!) { deactivateUser(id: $id) { id status deactivatedAt } }
`);
const Reactivate = graphql(`
  mutation Reactivate($id: ID!) { reactivateUser(id: $id) { id status deactivatedAt } }
`);

const USER_TYPES = { additionalTypenames: ['User'] };

interface UserRow {
  id: string;
  name: string;
  email: string;
  role: Role;
  status: string;
  createdAt: string;
}

type Kind = 'PERSON' | 'SERVICE';

/** People and service accounts apart: /users and /users?kind=service (the URL keeps the tab, so Back works). */
export default function Users() {
  const kind: Kind = new URLSearchParams(useSearch()).get('kind') === 'service' ? 'SERVICE' : 'PERSON';
  useEffect(() => {
    document.title = `${kind === 'SERVICE' ? 'Service accounts' : 'Users'} · Tokengate`;
  }, [kind]);
  // A new list (first page, no dialog) for each tab.
  return <UserList key={kind} kind={kind} />;
}

function UserList({ kind }: { kind: Kind }) {
  const { session } = useSession();
  const me = session!.user;
  const service = kind === 'SERVICE';
  const [after, setAfter] = useState<string | null>(null);
  const [result] = useQuery({ query: UsersQuery, variables: { after, kind }, context: USER_TYPES });
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ id: string; name: string } | null>(null);
  const [roleChange, setRoleChange] = useState<{ user: UserRow; role: Role } | null>(null);
  const [statusChange, setStatusChange] = useState<UserRow | null>(null);
  const [, changeRole] = useMutation(ChangeRole);
  const [roleResult, setRoleResult] = useState<ReturnType<typeof apiErrors>>([]);
  const [deactivateResult, deactivate] = useMutation(Deactivate);
  const [reactivateResult, reactivate] = useMutation(Reactivate);
  const errors = apiErrors(result.error);
  const header = (
    <>
      <PageHeader
        title="Users"
        description={
          service
            ? 'Service accounts act for automation through their API tokens: they have a role but no password and never sign in. Their tokens outlive whoever issued them; deactivating the service account stops them at once.'
            : 'People who sign in to your account. A user’s tokens stop working the moment they are deactivated, and work again on reactivation.'
        }
        actions={
          <Button variant="primary" icon="plus" onClick={() => setCreating(true)}>
            {service ? 'Add service account' : 'Add user'}
          </Button>
        }
      />
      <nav className="tabs" aria-label="Kinds of user">
        <Link href="/users" className="tab" aria-current={service ? undefined : 'page'}>
          People
        </Link>
        <Link href="/users?kind=service" className="tab" aria-current={service ? 'page' : undefined}>
          Service accounts
        </Link>
      </nav>
    </>
  );
  if (!result.data && result.fetching)
    return (
      <div className="page page-wide">
        {header}
        <Loading />
      </div>
    );
  if (!result.data) return <Unavailable errors={errors} />;
  const conn = result.data.users;
  const manageable = (u: UserRow) => u.id !== me.id && roleAtMost(u.role, me.role);

  return (
    <div className="page page-wide">
      {header}
      {created && (
        <Notice kind="success">
          Service account <strong>{created.name}</strong> added. It acts only through its tokens:{' '}
          <Link href={`/tokens/new?owner=${created.id}`}>issue its first token</Link>.
        </Notice>
      )}
      <ErrorList errors={[...errors, ...roleResult]} />
      {service && conn.totalCount === 0 ? (
        <EmptyState title="No service accounts yet" icon="key">
          <p>A service account owns the tokens of a CI pipeline, a deployment or an integration, so they keep working when the person who set them up leaves. It has a role, no password, and cannot sign in.</p>
        </EmptyState>
      ) : (
        <DataTable
          caption={`${service ? 'Service accounts' : 'People'}, ${conn.totalCount} in all`}
          rows={conn.nodes as readonly UserRow[]}
          rowKey={(u) => u.id}
          rowData={(u) => ({ 'data-user-id': u.id })}
          busy={result.fetching}
          columns={[
            {
              label: 'Name',
              cell: (u) => (
                <>
                  <div className="strong">
                    {u.name} {u.id === me.id && <span className="muted">(you)</span>}
                  </div>
                  <div className="sub">{u.email || (service ? 'No contact e-mail' : '')}</div>
                </>
              ),
            },
            {
              label: 'Role',
              cell: (u) =>
                manageable(u) ? (
                  <select className="input input-sm" aria-label={`Role of ${u.name}`} value={u.role} onChange={(e) => setRoleChange({ user: u, role: e.target.value as Role })}>
                    {ROLES.filter((r) => roleAtMost(r, me.role)).map((r) => (
                      <option key={r} value={r}>
                        {ROLE_LABEL[r]}
                      </option>
                    ))}
                  </select>
                ) : (
                  <RoleBadge role={u.role} />
                ),
            },
            { label: 'Status', cell: (u) => <StatusBadge status={u.status} /> },
            { label: 'Added', cell: (u) => <When iso={u.createdAt} mode="date" /> },
            {
              label: 'Actions',
              actions: true,
              cell: (u) => (
                <>
                  <Link href={`/tokens?owner=${u.id}`} className="btn btn-ghost btn-sm" aria-label={`Tokens of ${u.name}`}>
                    Tokens
                  </Link>
                  {service && u.status === 'ACTIVE' && (
                    <Link href={`/tokens/new?owner=${u.id}`} className="btn btn-secondary btn-sm" aria-label={`Issue token for ${u.name}`}>
                      Issue token
                    </Link>
                  )}
                  {manageable(u) && (
                    <Button size="sm" variant={u.status === 'ACTIVE' ? 'danger' : 'secondary'} onClick={() => setStatusChange(u)}>
                      {u.status === 'ACTIVE' ? 'Deactivate' : 'Reactivate'}
                    </Button>
                  )}
                </>
              ),
            },
          ]}
        />
      )}
      <Pager
        summary={`${conn.totalCount} ${service ? (conn.totalCount === 1 ? 'service account' : 'service accounts') : conn.totalCount === 1 ? 'person' : 'people'}`}
        back={{ label: 'First page', disabled: !after, onClick: () => setAfter(null) }}
        forward={{ label: 'Next', disabled: !conn.pageInfo.hasNextPage, onClick: () => setAfter(conn.pageInfo.endCursor) }}
      />
      {creating && !service && <CreateUserDialog myRole={me.role} onClose={() => setCreating(false)} />}
      {creating && service && (
        <CreateServiceAccountDialog
          myRole={me.role}
          onClose={() => setCreating(false)}
          onCreated={(u) => {
            setCreating(false);
            setCreated(u);
          }}
        />
      )}
      {roleChange && (
        <ConfirmDialog
          title={`Make ${roleChange.user.name} ${ROLE_LABEL[roleChange.role]}?`}
          confirmLabel="Change role"
          onClose={() => setRoleChange(null)}
          onConfirm={async () => {
            const r = await changeRole({ id: roleChange.user.id, role: roleChange.role });
            setRoleResult(apiErrors(r.error));
            setRoleChange(null);
          }}
        >
          <p>
            {ROLE_LABEL[roleChange.user.role]} → {ROLE_LABEL[roleChange.role]}. Their tokens act with at most the new role from now on.
          </p>
        </ConfirmDialog>
      )}
      {statusChange && (
        <ConfirmDialog
          title={statusChange.status === 'ACTIVE' ? `Deactivate ${statusChange.name}?` : `Reactivate ${statusChange.name}?`}
          confirmLabel={statusChange.status === 'ACTIVE' ? 'Deactivate' : 'Reactivate'}
          busy={deactivateResult.fetching || reactivateResult.fetching}
          errors={apiErrors(statusChange.status === 'ACTIVE' ? deactivateResult.error : reactivateResult.error)}
          onClose={() => setStatusChange(null)}
          onConfirm={async () => {
            const r = statusChange.status === 'ACTIVE' ? await deactivate({ id: statusChange.id }, { additionalTypenames: ['ApiToken'] }) : await reactivate({ id: statusChange.id }, { additionalTypenames: ['ApiToken'] });
            if (!r.error) setStatusChange(null);
          }}
        >
          {statusChange.status === 'ACTIVE' && service ? (
            <p>Every one of its API tokens stops authenticating at once, until you reactivate it.</p>
          ) : statusChange.status === 'ACTIVE' ? (
            <p>They are signed out at once, cannot sign in, and every one of their API tokens stops authenticating until you reactivate them.</p>
          ) : (
            <p>{service ? 'Its unrevoked, unexpired tokens work again.' : 'They can sign in again, and their unrevoked, unexpired tokens work again.'}</p>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}

function CreateUserDialog({ myRole, onClose }: { myRole: Role; onClose: () => void }) {
  const [form, setForm] = useState({ name: '', email: '', password: '', role: 'MEMBER' as Role });
  const [result, create] = useMutation(CreateUser);
  const { byField, general } = splitErrors(apiErrors(result.error), ['name', 'email', 'password', 'role']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({ input: { ...form, email: form.email.trim(), name: form.name.trim() } }, { additionalTypenames: ['User'] });
    if (r.data) onClose();
  };
  return (
    <Dialog title="Add a user" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate>
        <TextInput label="Name" value={form.name} required onChange={(e) => setForm({ ...form, name: e.target.value })} error={byField.name} data-autofocus />
        <TextInput label="E-mail" type="email" value={form.email} required onChange={(e) => setForm({ ...form, email: e.target.value })} error={byField.email} />
        <TextInput label="Initial password" type="password" autoComplete="new-password" value={form.password} required onChange={(e) => setForm({ ...form, password: e.target.value })} error={byField.password} hint="At least 12 characters. Share it safely; they can change it in their profile." />
        <Select label="Role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} error={byField.role}>
          {ROLES.filter((r) => roleAtMost(r, myRole)).map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </Select>
        <ErrorList errors={general} />
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={result.fetching}>
            Add user
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** A service account: a name, a role (up to yours), an optional contact e-mail; no password. */
function CreateServiceAccountDialog({ myRole, onClose, onCreated }: { myRole: Role; onClose: () => void; onCreated: (u: { id: string; name: string }) => void }) {
  const [form, setForm] = useState({ name: '', email: '', role: 'MEMBER' as Role });
  const [result, create] = useMutation(CreateServiceAccount);
  const { byField, general } = splitErrors(apiErrors(result.error), ['name', 'email', 'role']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const email = form.email.trim();
    const r = await create({ input: { name: form.name.trim(), role: form.role, ...(email ? { email } : {}) } }, { additionalTypenames: ['User'] });
    if (r.data) onCreated(r.data.createServiceAccount);
  };
  return (
    <Dialog title="Add a service account" onClose={onClose}>
      <form className="form" onSubmit={submit} noValidate aria-label="New service account">
        <TextInput label="Name" value={form.name} required maxLength={100} onChange={(e) => setForm({ ...form, name: e.target.value })} error={byField.name} hint="What it is for, e.g. “CI deploy”." data-autofocus />
        <Select label="Role" value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })} error={byField.role} hint="Its tokens act with at most this role.">
          {ROLES.filter((r) => roleAtMost(r, myRole)).map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </Select>
        <TextInput label="Contact e-mail" optional type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} error={byField.email} hint="Where its token expiry notices go. It cannot sign in with it." />
        <ErrorList errors={general} />
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={result.fetching}>
            Add service account
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
