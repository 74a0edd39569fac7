import { useEffect, useState } from 'react';
import { useQuery } from 'urql';
import { Link } from 'wouter';
import { AuditDetails } from '../auditDetails';
import { apiErrors } from '../client';
import { graphql, type ResultOf } from '../graphql';
import { DataTable, FilterSelect, Pager, useUrlFilters, type Column } from '../list';
import { EmptyState, ErrorList, Loading, PageHeader, Unavailable, formatDateTime } from '../ui';

export const AuditFields = graphql(`
  fragment AuditFields on AuditEvent { id action actorId actorTokenId targetType targetId ip userAgent reason details createdAt }
`);

const AuditQuery = graphql(
  `
  query Audit($filter: AuditEventFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { ...AuditFields }
    }
    users(first: 100) { nodes { id name } }
  }
`,
  [AuditFields],
);

const ACTIONS = [
  'token.created', 'token.updated', 'token.regenerated', 'token.disabled', 'token.enabled', 'token.revoked', 'token.deleted', 'token.expiring', 'token.expired',
  'user.created', 'user.role_changed', 'user.deactivated', 'user.reactivated', 'user.password_changed', 'user.notification_settings_updated',
  'session.created', 'session.refreshed', 'session.ended', 'auth.failed',
  'user.email_conflict', 'account.policy_updated', 'scope.created', 'scope.deleted', 'webhook.created', 'webhook.deleted',
];

const ACTION_TEXT: Record<string, string> = {
  'token.created': 'Token created',
  'token.updated': 'Token edited',
  'token.regenerated': 'Token regenerated',
  'token.disabled': 'Token disabled',
  'token.enabled': 'Token enabled',
  'token.revoked': 'Token revoked',
  'token.deleted': 'Token deleted',
  'token.expiring': 'Expiry notice',
  'token.expired': 'Token expired',
  'user.created': 'User created',
  'user.role_changed': 'Role changed',
  'user.deactivated': 'User deactivated',
  'user.reactivated': 'User reactivated',
  'user.password_changed': 'Password changed',
  'user.notification_settings_updated': 'Notification settings',
  'user.email_conflict': 'E-mail address already in use',
  'session.created': 'Signed in',
  'session.refreshed': 'Session renewed',
  'session.ended': 'Session ended',
  'auth.failed': 'Authentication failed',
  'account.policy_updated': 'Policy changed',
  'scope.created': 'Scope added',
  'scope.deleted': 'Scope removed',
  'webhook.created': 'Webhook added',
  'webhook.deleted': 'Webhook removed',
};

type Event = ResultOf<typeof AuditFields>;

export function AuditTable({ events, names, busy }: { events: readonly Event[]; names?: Map<string, string>; busy?: boolean }) {
  return <DataTable className="audit-table" columns={auditColumns(names)} rows={events} rowKey={(e) => e.id} busy={busy} />;
}

const auditColumns = (names: Map<string, string> | undefined): Array<Column<Event>> => [
  { label: 'When', cell: (e) => <time dateTime={e.createdAt}>{formatDateTime(e.createdAt)}</time> },
  {
    label: 'What',
    cell: (e) => (
      <>
        <span className={`action action-${e.action.split('.')[0]} ${e.action === 'auth.failed' ? 'action-bad' : ''}`}>{ACTION_TEXT[e.action] ?? e.action}</span>
        <div className="sub">
          <code>{e.action}</code>
        </div>
      </>
    ),
  },
  {
    label: 'Who',
    cell: (e) => (
      <>
        {e.actorId ? names?.get(e.actorId) ?? <code title={e.actorId}>{e.actorId.slice(0, 8)}…</code> : <span className="muted">—</span>}
        {e.actorTokenId && <div className="sub">with an API token</div>}
      </>
    ),
  },
  {
    label: 'Target',
    cell: (e) =>
      e.targetType === 'api_token' && e.targetId ? (
        <Link href={`/tokens/${e.targetId}`}>token {e.targetId.slice(0, 8)}…</Link>
      ) : e.targetId ? (
        <span>
          {e.targetType?.replace('_', ' ')} {names?.get(e.targetId) ?? <code title={e.targetId}>{e.targetId.slice(0, 8)}…</code>}
        </span>
      ) : (
        <span className="muted">—</span>
      ),
  },
  {
    label: 'From',
    cell: (e) => (
      <>
        {e.ip ? <code>{e.ip}</code> : <span className="muted">—</span>}
        {e.userAgent && (
          <div className="sub ua" title={e.userAgent}>
            {e.userAgent.slice(0, 40)}
          </div>
        )}
      </>
    ),
  },
  {
    label: 'Details',
    className: 'details-cell',
    cell: (e) => <AuditDetails action={e.action} reason={e.reason} details={e.details} names={names} />,
  },
];

const AUDIT_TYPES = { additionalTypenames: ['AuditEvent', 'ApiToken', 'User'] };

export default function Audit() {
  const { params, set: setParams } = useUrlFilters();
  const action = params.get('action') ?? '';
  const actor = params.get('actor') ?? '';
  const since = params.get('since') ?? '';
  const until = params.get('until') ?? '';
  const after = params.get('after');
  const [target, setTarget] = useState(params.get('target') ?? '');
  // The field follows the URL (Back, a link to another target, clearing it elsewhere), not only its first value.
  const urlTarget = params.get('target') ?? '';
  useEffect(() => setTarget(urlTarget), [urlTarget]);
  useEffect(() => {
    document.title = 'Audit log · Tokengate';
  }, []);
  const set = (k: string, v: string) => setParams({ [k]: v || null });
  const filter = {
    ...(action ? { action } : {}),
    ...(actor ? { actorId: actor } : {}),
    ...(params.get('target') ? { targetId: params.get('target')! } : {}),
    ...(since ? { since: new Date(`${since}T00:00:00`).toISOString() } : {}),
    ...(until ? { until: new Date(`${until}T00:00:00`).toISOString() } : {}),
  };
  const [result] = useQuery({ query: AuditQuery, variables: { filter, first: 50, after }, context: AUDIT_TYPES });
  const errors = apiErrors(result.error);
  if (!result.data && errors.some((e) => e.code === 'FORBIDDEN')) return <Unavailable errors={errors} />;
  const names = new Map((result.data?.users.nodes ?? []).map((u) => [u.id, u.name]));
  const conn = result.data?.auditEvents;
  return (
    <div className="page page-wide">
      <PageHeader title="Audit log" description="Every change to tokens, users, policy and webhooks, every sign-in and every refused credential. Never a secret." />
      <form className="filters" role="search" aria-label="Filter events" onSubmit={(e) => { e.preventDefault(); set('target', target.trim()); }}>
        <FilterSelect id="a-action" label="Action" value={action} onChange={(v) => set('action', v)}>
          <option value="">Any action</option>
          {ACTIONS.map((a) => (
            <option key={a} value={a}>
              {ACTION_TEXT[a] ?? a} ({a})
            </option>
          ))}
        </FilterSelect>
        <FilterSelect id="a-actor" label="Who" value={actor} onChange={(v) => set('actor', v)}>
          <option value="">Anyone</option>
          {[...names].map(([id, name]) => (
            <option key={id} value={id}>
              {name}
            </option>
          ))}
        </FilterSelect>
        <div className="filter">
          <label htmlFor="a-since">From</label>
          <input id="a-since" className="input" type="date" value={since} onChange={(e) => set('since', e.target.value)} />
        </div>
        <div className="filter">
          <label htmlFor="a-until">Before</label>
          <input id="a-until" className="input" type="date" value={until} onChange={(e) => set('until', e.target.value)} />
        </div>
        <div className="filter">
          <label htmlFor="a-target">Target id</label>
          <input id="a-target" className="input" value={target} placeholder="Press Enter to apply" onChange={(e) => setTarget(e.target.value)} />
        </div>
      </form>
      <ErrorList errors={errors} />
      {!conn && result.fetching && <Loading />}
      {conn && conn.totalCount === 0 && (
        <EmptyState title="No events" icon="list">
          <p>Nothing matches these filters.</p>
        </EmptyState>
      )}
      {conn && conn.nodes.length > 0 && (
        <>
          <AuditTable events={conn.nodes} names={names} busy={result.fetching} />
          <Pager
            summary={`${conn.totalCount.toLocaleString('en')} ${conn.totalCount === 1 ? 'event' : 'events'}`}
            back={{ label: 'Newer', disabled: !after, onClick: () => history.back() }}
            forward={{ label: 'Older', disabled: !conn.pageInfo.hasNextPage, onClick: () => setParams({ after: conn.pageInfo.endCursor ?? '' }) }}
          />
        </>
      )}
    </div>
  );
}
