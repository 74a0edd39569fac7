import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { apiErrors } from '../client';
import { graphql } from '../graphql';
import { Icon } from '../icons';
import { SecretPanel } from '../SecretPanel';
import { isAdmin, useSession } from '../session';
import { UsageChart, fillDays } from '../UsageChart';
import { Button, Card, Dialog, ErrorList, ExpiringMark, Loading, Notice, PageHeader, RoleBadge, StatusBadge, Unavailable, When, formatDateTime } from '../ui';
import { TokenActionDialog } from './Tokens';
import { useTokenRules } from '../rules';
import { AuditTable, AuditFields } from './Audit';

const Detail = graphql(
  `
  query TokenDetail($id: ID!, $admin: Boolean!) {
    apiToken(id: $id) {
      id name description username hint role environment status scopes
      createdAt expiresAt expiringSoon lastUsedAt lastUsedIps useCount regeneratedAt revokedAt deletedAt
      owner { id name email }
      createdBy { id name }
      revokedBy { id name }
      usage(days: 30) { date requests byIp { ip requests } }
    }
    auditEvents(filter: { targetId: $id }, first: 20) @include(if: $admin) { totalCount nodes { ...AuditFields } }
  }
`,
  [AuditFields],
);

const Regenerate = graphql(`
  mutation RegenerateToken($id: ID!, $grace: Int) {
    regenerateApiToken(id: $id, gracePeriodSeconds: $grace) { secret token { id name username hint regeneratedAt expiresAt status } }
  }
`);

const GRACE = [
  { seconds: 0, label: 'None: the old secret stops working now' },
  { seconds: 3600, label: '1 hour' },
  { seconds: 86400, label: '24 hours' },
  { seconds: 604800, label: '7 days' },
];

export default function TokenDetail({ id }: { id: string }) {
  const { session } = useSession();
  const admin = isAdmin(session?.user.role);
  const [result, refetch] = useQuery({ query: Detail, variables: { id, admin } });
  const [dialog, setDialog] = useState<'revoke' | 'delete' | 'regenerate' | null>(null);
  const [regenerated, setRegenerated] = useState<{ secret: string; name: string; username: string; grace: number } | null>(null);
  const { rules } = useTokenRules();
  const t = result.data?.apiToken;
  useEffect(() => {
    document.title = `${t?.name ?? 'Token'} · Tokengate`;
  }, [t?.name]);

  if (!result.data && result.fetching) return <Loading />;
  const errors = apiErrors(result.error);
  if (!t) {
    return (
      <div className="page">
        {errors.length ? (
          <Unavailable errors={errors} />
        ) : (
          <>
            <PageHeader title="Token not found" />
            <p>This token does not exist, or it is not visible to you.</p>
            <Link href="/tokens">Back to API tokens</Link>
          </>
        )}
      </div>
    );
  }

  const days = fillDays(t.usage);
  const ipTotals = new Map<string, number>();
  for (const d of t.usage) for (const b of d.byIp) ipTotals.set(b.ip, (ipTotals.get(b.ip) ?? 0) + b.requests);
  const ips = [...ipTotals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);

  if (regenerated) {
    return (
      <div className="page">
        <SecretPanel
          secret={regenerated.secret}
          token={regenerated}
          title={regenerated.grace > 0 ? 'New secret issued: the old one keeps working during the grace period' : 'New secret issued: the old one no longer works'}
          doneLabel="I have copied it — back to the token"
          onDone={() => {
            setRegenerated(null);
            refetch({ requestPolicy: 'network-only' });
          }}
        />
      </div>
    );
  }

  return (
    <div className="page">
      <PageHeader
        back={
          <Link href="/tokens" className="back-link">
            <Icon name="arrowLeft" size={16} /> API tokens
          </Link>
        }
        title={
          <span className="title-with-badge">
            {t.name} <StatusBadge status={t.status} />
            {t.expiringSoon && <ExpiringMark label="Expires within 7 days" />}
          </span>
        }
        description={t.description ?? undefined}
        actions={
          <>
            {t.status === 'ACTIVE' && (
              <>
                {rules?.canCreateTokens && (
                  <Button icon="refresh" onClick={() => setDialog('regenerate')}>
                    Regenerate
                  </Button>
                )}
                <Button variant="danger" onClick={() => setDialog('revoke')}>
                  Revoke
                </Button>
              </>
            )}
            {(t.status === 'REVOKED' || t.status === 'EXPIRED') && (
              <Button variant="danger" onClick={() => setDialog('delete')}>
                Delete
              </Button>
            )}
          </>
        }
      />
      {t.expiringSoon && t.expiresAt && (
        <Notice kind="warning">
          This token expires <When iso={t.expiresAt} /> ({formatDateTime(t.expiresAt)}). Regenerate it with a new expiry, or create a replacement, before then.
        </Notice>
      )}
      <div className="detail-grid">
        <Card title="Details">
          <dl className="props">
            <dt>Username</dt>
            <dd>
              <code>{t.username}</code>
            </dd>
            <dt>Secret starts with</dt>
            <dd>
              <code>{t.hint}…</code>
            </dd>
            <dt>Role</dt>
            <dd>
              <RoleBadge role={t.role} />
            </dd>
            <dt>Environment</dt>
            <dd>{t.environment ?? <span className="muted">Any</span>}</dd>
            <dt>Scopes</dt>
            <dd className="scopes">
              {t.scopes.map((s) => (
                <span className="chip" key={s}>
                  {s}
                </span>
              ))}
            </dd>
            <dt>Owner</dt>
            <dd>
              {t.owner.name} <span className="muted">{t.owner.email}</span>
            </dd>
            <dt>Issued by</dt>
            <dd>{t.createdBy.name}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(t.createdAt)}</dd>
            <dt>Expires</dt>
            <dd>{t.expiresAt ? <>{formatDateTime(t.expiresAt)} (<When iso={t.expiresAt} />)</> : 'Never'}</dd>
            {t.regeneratedAt && (
              <>
                <dt>Secret regenerated</dt>
                <dd>{formatDateTime(t.regeneratedAt)}</dd>
              </>
            )}
            {t.revokedAt && (
              <>
                <dt>Revoked</dt>
                <dd>
                  {formatDateTime(t.revokedAt)}
                  {t.revokedBy ? ` by ${t.revokedBy.name}` : ' (leak report)'}
                </dd>
              </>
            )}
          </dl>
        </Card>
        <Card title="Usage">
          <div className="stats">
            <div>
              <span className="stat-value">{t.useCount}</span>
              <span className="stat-label">requests in all</span>
            </div>
            <div>
              <span className="stat-value">
                <When iso={t.lastUsedAt} empty="Never" />
              </span>
              <span className="stat-label">last used</span>
            </div>
          </div>
          <UsageChart days={days} />
          <h3 className="subhead">Last client addresses</h3>
          {t.lastUsedIps.length === 0 ? (
            <p className="muted">No use recorded yet.</p>
          ) : (
            <ul className="ip-list">
              {t.lastUsedIps.map((ip) => (
                <li key={ip}>
                  <code>{ip}</code>
                  {ipTotals.has(ip) && <span className="muted"> · {ipTotals.get(ip)} requests in 30 days</span>}
                </li>
              ))}
            </ul>
          )}
          {ips.length > 0 && ips.some(([ip]) => !t.lastUsedIps.includes(ip)) && (
            <p className="muted">Also seen in the last 30 days: {ips.filter(([ip]) => !t.lastUsedIps.includes(ip)).map(([ip]) => ip || 'unknown').join(', ')}</p>
          )}
        </Card>
      </div>
      {admin && result.data?.auditEvents && (
        <Card title="History">
          {result.data.auditEvents.totalCount === 0 ? <p className="muted">No events.</p> : <AuditTable events={result.data.auditEvents.nodes} names={new Map([t.owner, t.createdBy, ...(t.revokedBy ? [t.revokedBy] : [])].map((u) => [u.id, u.name]))} />}
        </Card>
      )}
      {(dialog === 'revoke' || dialog === 'delete') && <TokenActionDialog kind={dialog} token={t} onClose={() => setDialog(null)} onDone={() => refetch({ requestPolicy: 'network-only' })} />}
      {dialog === 'regenerate' && (
        <RegenerateDialog
          token={t}
          onClose={() => setDialog(null)}
          onDone={(secret, grace) => {
            setDialog(null);
            setRegenerated({ secret, name: t.name, username: t.username, grace });
          }}
        />
      )}
    </div>
  );
}

function RegenerateDialog({ token, onClose, onDone }: { token: { id: string; name: string }; onClose: () => void; onDone: (secret: string, grace: number) => void }) {
  const [grace, setGrace] = useState(0);
  const [result, regenerate] = useMutation(Regenerate);
  return (
    <Dialog
      title={`Regenerate “${token.name}”`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button
            variant="primary"
            busy={result.fetching}
            onClick={async () => {
              const r = await regenerate({ id: token.id, grace }, { additionalTypenames: ['ApiToken', 'AuditEvent'] });
              if (r.data) onDone(r.data.regenerateApiToken.secret, grace);
            }}
          >
            Regenerate secret
          </Button>
        </>
      }
    >
      <p>The token keeps its name, role and history and gets a new secret, shown once.</p>
      <fieldset className="fieldset">
        <legend>Grace period for the old secret</legend>
        <div className="radios">
          {GRACE.map((g) => (
            <label key={g.seconds} className="check">
              <input type="radio" name="grace" value={g.seconds} checked={grace === g.seconds} onChange={() => setGrace(g.seconds)} />
              <span>{g.label}</span>
            </label>
          ))}
        </div>
        <p className="hint">With a grace period both secrets work until it ends, so you can roll the new one out without downtime.</p>
      </fieldset>
      <ErrorList errors={apiErrors(result.error)} />
    </Dialog>
  );
}
