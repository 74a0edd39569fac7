import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { apiErrors, splitErrors } from '../client';
import { graphql } from '../graphql';
import { DataTable } from '../list';
import { ROLE_LABEL, ROLES, type Role } from '../session';
import { Button, Card, ConfirmDialog, EmptyState, ErrorList, Loading, PageHeader, RoleBadge, Select, TextInput, Unavailable, When } from '../ui';

const ScopesQuery = graphql(`
  query Scopes { scopes { id name description minRole createdAt } }
`);
const CreateScope = graphql(`
  mutation CreateScope($input: CreateScopeInput!) { createScope(input: $input) { id name description minRole createdAt } }
`);
const DeleteScope = graphql(`
  mutation DeleteScope($id: ID!) { deleteScope(id: $id) }
`);

// An empty list names no type: say which mutations should refresh it.
const SCOPE_TYPES = { additionalTypenames: ['AccountScope'] };

export default function Scopes() {
  const [result] = useQuery({ query: ScopesQuery, context: SCOPE_TYPES });
  const [createResult, create] = useMutation(CreateScope);
  const [deleteResult, remove] = useMutation(DeleteScope);
  const [form, setForm] = useState({ name: '', description: '', minRole: 'MEMBER' as Role });
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
  useEffect(() => {
    document.title = 'Scopes catalog · Tokengate';
  }, []);
  const errors = apiErrors(result.error);
  if (!result.data && result.fetching) return <Loading />;
  if (!result.data) return <Unavailable errors={errors} />;
  const { byField, general } = splitErrors(apiErrors(createResult.error), ['name', 'description', 'minRole']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({ input: { name: form.name.trim(), description: form.description.trim() || undefined, minRole: form.minRole } }, { additionalTypenames: ['AccountScope'] });
    if (r.data) setForm({ name: '', description: '', minRole: 'MEMBER' });
  };
  return (
    <div className="page">
      <PageHeader title="Scopes catalog" description="Custom scopes your other services check (e.g. inventory:write). A token carries the catalog scopes it was given while its owner's role reaches each one's minimum." />
      <Card title="Add a scope">
        <form className="form form-inline" onSubmit={submit} noValidate>
          <TextInput label="Name" placeholder="inventory:write" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} error={byField.name} />
          <TextInput label="Description" optional value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} error={byField.description} />
          <Select label="Lowest role" value={form.minRole} onChange={(e) => setForm({ ...form, minRole: e.target.value as Role })} error={byField.minRole}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </Select>
          <div className="form-inline-action">
            <Button type="submit" variant="primary" busy={createResult.fetching}>
              Add scope
            </Button>
          </div>
        </form>
        <ErrorList errors={general} />
      </Card>
      {result.data.scopes.length === 0 ? (
        <EmptyState title="No custom scopes yet" icon="tag">
          <p>Every token already has the scopes of its role (read, write, admin) and of its environment. Add catalog scopes when another service needs finer permissions.</p>
        </EmptyState>
      ) : (
        <DataTable
          rows={result.data.scopes}
          rowKey={(s) => s.id}
          columns={[
            {
              label: 'Scope',
              cell: (s) => (
                <>
                  <code className="strong">{s.name}</code>
                  {s.description && <div className="sub">{s.description}</div>}
                </>
              ),
            },
            { label: 'Lowest role', cell: (s) => <RoleBadge role={s.minRole as Role} /> },
            { label: 'Added', cell: (s) => <When iso={s.createdAt} mode="date" /> },
            {
              label: 'Actions',
              actions: true,
              cell: (s) => (
                <Button size="sm" variant="ghost" onClick={() => setDeleting(s)} aria-label={`Remove ${s.name}`}>
                  Remove
                </Button>
              ),
            },
          ]}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Remove ${deleting.name}?`}
          confirmLabel="Remove scope"
          busy={deleteResult.fetching}
          errors={apiErrors(deleteResult.error)}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            const r = await remove({ id: deleting.id }, { additionalTypenames: ['AccountScope', 'ApiToken'] });
            if (!r.error) setDeleting(null);
          }}
        >
          <p>Every token that carries it stops carrying it at once.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
