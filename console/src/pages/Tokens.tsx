import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { DataTable, FilterSelect, Pager, useUrlFilters, type Column } from '../list';
import { apiErrors } from '../client';
import { graphql, type ResultOf, type VariablesOf } from '../graphql';
import { Icon } from '../icons';
import { isAdmin, ROLE_LABEL, ROLES, useSession } from '../session';
import { DeleteToken, RevokeToken, STATUS_OPTIONS, TokenRow, TokensQuery } from '../tokens';
import { CREATION_TEXT, useTokenRules } from '../rules';
import { Button, ConfirmDialog, EmptyState, ErrorList, ExpiringMark, Loading, Notice, PageHeader, RoleBadge, StatusBadge, When } from '../ui';
import type { BulkResult } from './BulkRevoke';

// Only OWNER/ADMIN ever open it: loaded on demand, outside the first screen's bundle.
const BulkRevokeDialog = lazy(() => import('./BulkRevoke'));

const UsersForFilters = graphql(`
  query UsersForFilters { users(first: 100) { nodes { id name email } } }
`);

const PAGE_SIZE = 20;
// An empty page names no ApiToken: token mutations must still refresh it.
const TOKEN_TYPES = { additionalTypenames: ['ApiToken'] };
type Filter = NonNullable<VariablesOf<typeof TokensQuery>['filter']>;
type Row = ResultOf<typeof TokenRow>;

export function Tokens() {
  const { session } = useSession();
  const admin = isAdmin(session?.user.role);
  // Filters live in the URL (?status=&role=&issuedBy=&owner=&env=&q=&after=&page=).
  const { params, set } = useUrlFilters();
  const status = params.get('status') ?? '';
  const role = params.get('role') ?? '';
  const issuedBy = params.get('issuedBy') ?? '';
  const owner = params.get('owner') ?? '';
  const env = params.get('env') ?? '';
  const q = params.get('q') ?? '';
  const after = params.get('after');
  const page = Number(params.get('page') ?? '1') || 1;
  const filtered = Boolean(status || role || issuedBy || owner || env || q);

  useEffect(() => {
    document.title = 'API tokens · Tokengate';
  }, []);

  const filter: Filter = {};
  if (status === 'ALL') filter.status = ['ACTIVE', 'DISABLED', 'EXPIRED', 'REVOKED', 'DELETED'];
  else if (status) filter.status = [status as 'ACTIVE'];
  if (role) filter.role = [role as 'MEMBER'];
  if (issuedBy) filter.issuedBy = issuedBy;
  if (owner) filter.owner = owner;
  if (env) filter.environment = env;
  if (q) filter.search = q;

  const [result] = useQuery({ query: TokensQuery, variables: { filter, first: PAGE_SIZE, after }, context: TOKEN_TYPES });
  const [usersResult] = useQuery({ query: UsersForFilters, pause: !admin });
  const { rules } = useTokenRules();
  const canCreate = rules?.canCreateTokens ?? false;
  const users = usersResult.data?.users.nodes ?? [];
  const conn = result.data?.apiTokens;
  const rows: readonly Row[] = conn?.nodes ?? [];
  const errors = apiErrors(result.error);
  const [confirm, setConfirm] = useState<{ kind: 'revoke' | 'delete'; token: Row } | null>(null);
  const [bulk, setBulk] = useState(false);
  const [bulkDone, setBulkDone] = useState<BulkResult | null>(null);
  useEffect(() => setBulkDone(null), [params]); // the result concerns the filter it ran with
  // revokeApiTokens takes ACTIVE and DISABLED tokens only (its default when no status is given).
  const bulkAllowed = admin && (status === '' || status === 'ACTIVE' || status === 'DISABLED');
  const userName = (id: string) => users.find((u) => u.id === id)?.name ?? 'a user';
  const describe = [
    status === 'ACTIVE' ? 'Status: active' : status === 'DISABLED' ? 'Status: disabled' : 'Status: active or disabled',
    ...(role ? [`Role: ${ROLE_LABEL[role as 'MEMBER']}`] : []),
    ...(owner ? [`Owner: ${userName(owner)}`] : []),
    ...(issuedBy ? [`Issued by: ${userName(issuedBy)}`] : []),
    ...(env ? [`Environment: ${env}`] : []),
    ...(q ? [`Name or description contains “${q}”`] : []),
    ...(!role && !owner && !issuedBy && !env && !q ? ['Any owner, role and environment: every such token of the account'] : []),
  ];

  // Text filters apply as you type, a moment after the last key.
  const [qDraft, setQDraft] = useState(q);
  const [envDraft, setEnvDraft] = useState(env);
  useEffect(() => {
    setQDraft(q);
  }, [q]);
  useEffect(() => {
    setEnvDraft(env);
  }, [env]);
  const typing = useRef<ReturnType<typeof setTimeout>>(undefined);
  const debounce = (key: 'q' | 'env', value: string) => {
    clearTimeout(typing.current);
    typing.current = setTimeout(() => set({ [key]: value.trim() || null }, { replace: true }), 300);
  };

  const from = (page - 1) * PAGE_SIZE + 1;
  return (
    <div className="page page-wide">
      <PageHeader
        title="API tokens"
        description={admin ? 'Every token of your account: who issued it, whom it acts as, and how it is used.' : 'The tokens you own or issued.'}
        actions={
          <>
            {bulkAllowed && conn && conn.totalCount > 0 && (
              <Button
                variant="danger"
                onClick={() => {
                  setBulkDone(null);
                  setBulk(true);
                }}
              >
                Revoke all matching…
              </Button>
            )}
            {canCreate && (
              <Link href="/tokens/new" className="btn btn-primary btn-md">
                <Icon name="plus" size={16} /> Create token
              </Link>
            )}
          </>
        }
      />
      {bulkDone && (
        <Notice kind="success">
          {bulkDone.count === 0 ? 'No active or disabled token matched: nothing was revoked.' : `Revoked ${bulkDone.count.toLocaleString('en')} ${bulkDone.count === 1 ? 'token' : 'tokens'}.`}
          {bulkDone.capped ? ' More tokens match than one call revokes (1,000): run “Revoke all matching…” again to revoke the rest.' : bulkDone.count > 0 ? ' No matching token remains active or disabled.' : ''}
        </Notice>
      )}
      <form className="filters" role="search" aria-label="Filter tokens" onSubmit={(e) => e.preventDefault()}>
        <div className="filter filter-search">
          <label htmlFor="f-q">Search</label>
          <div className="input-icon">
            <Icon name="search" size={16} />
            <input
              id="f-q"
              className="input"
              type="search"
              placeholder="Name or description"
              value={qDraft}
              onChange={(e) => {
                setQDraft(e.target.value);
                debounce('q', e.target.value);
              }}
            />
          </div>
        </div>
        <FilterSelect id="f-status" label="Status" value={status} onChange={(v) => set({ status: v || null })}>
          {STATUS_OPTIONS.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </FilterSelect>
        <FilterSelect id="f-role" label="Role" value={role} onChange={(v) => set({ role: v || null })}>
          <option value="">Any role</option>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </FilterSelect>
        {admin &&
          (
            [
              ['f-issued', 'Issued by', 'issuedBy', issuedBy],
              ['f-owner', 'Owner', 'owner', owner],
            ] as const
          ).map(([id, label, key, value]) => (
            <FilterSelect key={id} id={id} label={label} value={value} onChange={(v) => set({ [key]: v || null })}>
              <option value="">Anyone</option>
              {users.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </FilterSelect>
          ))}
        <div className="filter">
          <label htmlFor="f-env">Environment</label>
          <input
            id="f-env"
            className="input"
            placeholder="e.g. production"
            value={envDraft}
            onChange={(e) => {
              setEnvDraft(e.target.value);
              debounce('env', e.target.value);
            }}
          />
        </div>
        {filtered && (
          <Button variant="ghost" className="filter-clear" onClick={() => set({ status: null, role: null, issuedBy: null, owner: null, env: null, q: null, page: null })}>
            Clear filters
          </Button>
        )}
      </form>

      <ErrorList errors={errors} />
      {!conn && result.fetching && <Loading label="Loading tokens…" />}
      {conn && conn.totalCount === 0 && !filtered && (
        <EmptyState
          title="No API tokens yet"
          action={
            canCreate && (
              <Link href="/tokens/new" className="btn btn-primary btn-md">
                <Icon name="plus" size={16} /> Create your first token
              </Link>
            )
          }
        >
          <p>
            An API token lets a script, a CI job or a package manager call the API as you, without your password: with a role you choose (never above your own), an optional environment,
            and an expiry date. Its secret is shown once, when you create it; revoke it here the moment it is no longer needed.
          </p>
          {rules && !canCreate && <p>In this account only {CREATION_TEXT[rules.tokenCreation]} create tokens: ask one of them to issue one for you.</p>}
        </EmptyState>
      )}
      {conn && conn.totalCount === 0 && filtered && (
        <EmptyState title="No token matches these filters" icon="search">
          <p>Change or clear the filters to see more tokens.</p>
        </EmptyState>
      )}
      {conn && rows.length > 0 && (
        <>
          <DataTable className="tokens-table" caption={`API tokens, ${conn.totalCount} in all`} rows={rows} rowKey={(t) => t.id} rowData={(t) => ({ 'data-token-id': t.id })} columns={tokenColumns(setConfirm)} busy={result.fetching} />
          <Pager
            live
            summary={`Showing ${from}–${from + rows.length - 1} of ${conn.totalCount}`}
            back={{ label: 'Previous', disabled: page <= 1, onClick: () => history.back() }}
            forward={{ label: 'Next', disabled: !conn.pageInfo.hasNextPage, onClick: () => set({ after: conn.pageInfo.endCursor, page: String(page + 1) }) }}
          />
        </>
      )}
      {confirm && <TokenActionDialog {...confirm} onClose={() => setConfirm(null)} />}
      {bulk && (
        <Suspense fallback={null}>
          <BulkRevokeDialog
            filter={{ ...filter, status: status === 'ACTIVE' || status === 'DISABLED' ? [status] : undefined }}
            describe={describe}
            matching={status === 'ACTIVE' || status === 'DISABLED' ? (conn?.totalCountIsCapped ? 1000 : (conn?.totalCount ?? null)) : null}
            onClose={() => setBulk(false)}
            onDone={(r) => {
              setBulk(false);
              setBulkDone(r);
            }}
          />
        </Suspense>
      )}
    </div>
  );
}

/** The tokens table's columns: the seeds' (name, username, role, owner, expiry, last use, status) plus ours. */
const tokenColumns = (confirm: (c: { kind: 'revoke' | 'delete'; token: Row }) => void): Array<Column<Row>> => [
  {
    label: 'Name',
    className: 'cell-name',
    cell: (t) => (
      <>
        <div className="name-line">
          <Link href={`/tokens/${t.id}`} className="token-link">
            {t.name}
          </Link>
          {t.expiringSoon && t.expiresAt && <ExpiringMark label={`Expires within 7 days (${new Date(t.expiresAt).toUTCString()})`} />}
        </div>
        <div className="sub">
          <code className="hint-code">{t.hint}…</code>
          {t.description && <span className="desc">{t.description}</span>}
        </div>
        <div className="scopes" aria-label="Scopes">
          {t.scopes.map((s) => (
            <span key={s} className="chip">
              {s}
            </span>
          ))}
        </div>
      </>
    ),
  },
  { label: 'Username', cell: (t) => <code>{t.username}</code> },
  {
    label: 'Role · environment · limits',
    short: 'Role · env',
    cell: (t) => (
      <>
        <RoleBadge role={t.role} />
        <div className="sub">{t.environment ? <span className="chip chip-env">{t.environment}</span> : 'any environment'}</div>
        {(t.rateLimitPerMinute != null || t.allowedCidrs.length > 0) && (
          <div className="sub chips">
            {t.rateLimitPerMinute != null && (
              <span className="chip chip-limit" title={`Rate limit: ${t.rateLimitPerMinute} requests per minute`}>
                {t.rateLimitPerMinute.toLocaleString('en')}/min
              </span>
            )}
            {t.allowedCidrs.length > 0 && (
              <span className="chip chip-limit" title={t.allowedCidrs.join(', ')}>
                {t.allowedCidrs.length} IP {t.allowedCidrs.length === 1 ? 'range' : 'ranges'}
              </span>
            )}
          </div>
        )}
      </>
    ),
  },
  {
    label: 'Owner / issued by',
    cell: (t) => (
      <>
        <div>{t.owner.name}</div>
        {t.createdBy.id !== t.owner.id && <div className="sub">issued by {t.createdBy.name}</div>}
      </>
    ),
  },
  {
    label: 'Expires',
    cell: (t) => (
      <>
        <span className={t.expiringSoon ? 'cell-warn' : undefined}>
          <When iso={t.expiresAt} empty="Never" />
        </span>
        <div className="sub">
          created <When iso={t.createdAt} mode="date" />
        </div>
      </>
    ),
  },
  {
    label: 'Last used',
    cell: (t) => (
      <>
        <When iso={t.lastUsedAt} empty="Never used" />
        {t.useCount > 0 && (
          <div className="sub">
            {t.useCount} {t.useCount === 1 ? 'request' : 'requests'}
          </div>
        )}
      </>
    ),
  },
  {
    label: 'Status',
    className: 'cell-status',
    cell: (t) => (
      <>
        <StatusBadge status={t.status} />
        {(t.status === 'ACTIVE' || t.status === 'DISABLED') && (
          <Button size="sm" variant="danger" onClick={() => confirm({ kind: 'revoke', token: t })} aria-label={`Revoke ${t.name}`}>
            Revoke
          </Button>
        )}
        {(t.status === 'REVOKED' || t.status === 'EXPIRED') && (
          <Button size="sm" variant="ghost" onClick={() => confirm({ kind: 'delete', token: t })} aria-label={`Delete ${t.name}`}>
            Delete
          </Button>
        )}
      </>
    ),
  },
];

/** Revoke (irreversible) or delete, confirmed by a dialog that names the token. */
export function TokenActionDialog({ kind, token, onClose, onDone }: { kind: 'revoke' | 'delete'; token: { id: string; name: string }; onClose: () => void; onDone?: () => void }) {
  const [revokeResult, revoke] = useMutation(RevokeToken);
  const [deleteResult, remove] = useMutation(DeleteToken);
  const result = kind === 'revoke' ? revokeResult : deleteResult;
  return (
    <ConfirmDialog
      title={kind === 'revoke' ? `Revoke “${token.name}”?` : `Delete “${token.name}”?`}
      confirmLabel={kind === 'revoke' ? 'Revoke token' : 'Delete token'}
      busy={result.fetching}
      errors={apiErrors(result.error)}
      onClose={onClose}
      onConfirm={async () => {
        const r = kind === 'revoke' ? await revoke({ id: token.id }, { additionalTypenames: ['ApiToken', 'ApiTokenAlerts'] }) : await remove({ id: token.id }, { additionalTypenames: ['ApiToken'] });
        if (!r.error) {
          onClose();
          onDone?.();
        }
      }}
    >
      {kind === 'revoke' ? (
        <p>
          Every system using <strong>{token.name}</strong> loses access immediately. A revoked token cannot be restored; create a new one if you need access again.
        </p>
      ) : (
        <p>
          <strong>{token.name}</strong> disappears from the list (it stays in the audit trail and under the <em>Deleted</em> status filter).
        </p>
      )}
    </ConfirmDialog>
  );
}
