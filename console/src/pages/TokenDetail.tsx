import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { apiErrors, splitErrors } from '../client';
import { BackLink } from '../list';
import { graphql } from '../graphql';
import { SecretPanel } from '../SecretPanel';
import { isAdmin, useSession } from '../session';
import { UsageChart, fillDays } from '../UsageChart';
import { Button, Card, ConfirmDialog, Dialog, ErrorList, ExpiringMark, Loading, Notice, PageHeader, RoleBadge, StatusBadge, Unavailable, When, formatDateTime, requests } from '../ui';
import { TokenActionDialog } from './Tokens';
import { useTokenRules } from '../rules';
import { AuditTable, AuditFields } from './Audit';
import { TokenFields, tokenDraft, accessErrors, parseCidrs, parseRateLimit, RATE_LIMIT_NOT_A_NUMBER, rateLimitText } from '../tokenForm';

const Detail = graphql(
  `
  query TokenDetail($id: ID!, $admin: Boolean!) {
    apiToken(id: $id) {
      id name description username hint role environment status scopes
      createdAt expiresAt expiringSoon lastUsedAt lastUsedIps useCount regeneratedAt revokedAt deletedAt disabledAt
      allowedCidrs rateLimitPerMinute suggestedCidrs
      owner { id name email }
      createdBy { id name }
      revokedBy { id name }
      disabledBy { id name }
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

const Update = graphql(`
  mutation UpdateToken($id: ID!, $input: UpdateApiTokenInput!) { updateApiToken(id: $id, input: $input) { id name description allowedCidrs rateLimitPerMinute suggestedCidrs } }
`);

const Disable = graphql(`
  mutation DisableToken($id: ID!) { disableApiToken(id: $id) { id status disabledAt disabledBy { id name } expiringSoon } }
`);

const Enable = graphql(`
  mutation EnableToken($id: ID!) { enableApiToken(id: $id) { id status disabledAt disabledBy { id name } expiringSoon } }
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
  const [dialog, setDialog] = useState<'revoke' | 'delete' | 'regenerate' | 'disable' | 'enable' | null>(null);
  const [editing, setEditing] = useState(false);
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
          <BackLink href="/tokens">API tokens</BackLink>
        }
        title={
          <span className="title-with-badge">
            {t.name} <StatusBadge status={t.status} />
            {t.expiringSoon && <ExpiringMark label="Expires within 7 days" />}
          </span>
        }
        description={editing ? undefined : (t.description ?? undefined)}
        actions={
          <>
            {!editing && t.status !== 'DELETED' && (
              <Button onClick={() => setEditing(true)}>
                Edit
              </Button>
            )}
            {t.status === 'ACTIVE' && (
              <>
                {rules?.canCreateTokens && (
                  <Button icon="refresh" onClick={() => setDialog('regenerate')}>
                    Regenerate
                  </Button>
                )}
                <Button onClick={() => setDialog('disable')}>Disable</Button>
              </>
            )}
            {t.status === 'DISABLED' && (
              <Button variant="primary" onClick={() => setDialog('enable')}>
                Enable
              </Button>
            )}
            {(t.status === 'ACTIVE' || t.status === 'DISABLED') && (
              <Button variant="danger" onClick={() => setDialog('revoke')}>
                Revoke
              </Button>
            )}
            {(t.status === 'REVOKED' || t.status === 'EXPIRED') && (
              <Button variant="danger" onClick={() => setDialog('delete')}>
                Delete
              </Button>
            )}
          </>
        }
      />
      {editing && <EditForm token={t} admin={admin} onClose={() => setEditing(false)} />}
      {t.status === 'DISABLED' && (
        <Notice kind="warning">
          This token has been disabled{t.disabledAt && <> since {formatDateTime(t.disabledAt)}</>}
          {t.disabledBy && <> by {t.disabledBy.name}</>}: every request with it is refused as if it were revoked. Enable it to make the same secret work again.
        </Notice>
      )}
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
            {t.disabledAt && (
              <>
                <dt>Disabled</dt>
                <dd>
                  {formatDateTime(t.disabledAt)}
                  {t.disabledBy && ` by ${t.disabledBy.name}`}
                </dd>
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
              <span className="stat-label">{t.useCount === 1 ? 'request' : 'requests'} in all</span>
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
                  {ipTotals.has(ip) && <span className="muted"> · {requests(ipTotals.get(ip)!)} in 30 days</span>}
                </li>
              ))}
            </ul>
          )}
          {ips.length > 0 && ips.some(([ip]) => !t.lastUsedIps.includes(ip)) && (
            <p className="muted">Also seen in the last 30 days: {ips.filter(([ip]) => !t.lastUsedIps.includes(ip)).map(([ip]) => ip || 'unknown').join(', ')}</p>
          )}
        </Card>
      </div>
      <AccessCard token={t} editable={t.status === 'ACTIVE' || t.status === 'DISABLED'} />
      {admin && result.data?.auditEvents && (
        <Card title="History">
          {result.data.auditEvents.totalCount === 0 ? <p className="muted">No events.</p> : <AuditTable events={result.data.auditEvents.nodes} names={new Map([t.owner, t.createdBy, ...(t.revokedBy ? [t.revokedBy] : []), ...(t.disabledBy ? [t.disabledBy] : [])].map((u) => [u.id, u.name]))} />}
        </Card>
      )}
      {(dialog === 'revoke' || dialog === 'delete') && <TokenActionDialog kind={dialog} token={t} onClose={() => setDialog(null)} onDone={() => refetch({ requestPolicy: 'network-only' })} />}
      {(dialog === 'disable' || dialog === 'enable') && <PauseDialog kind={dialog} token={t} onClose={() => setDialog(null)} />}
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

/** Rename the token or change its description, in place; the API's refusals appear under the field they concern. */
function EditForm({ token, admin, onClose }: { token: AccessToken & { description?: string | null }; admin: boolean; onClose: () => void }) {
  const [draft, setDraft] = useState(() => tokenDraft(token));
  const [accessLocal, setAccessLocal] = useState<string | undefined>(undefined);
  const [sentRateLimit, setSentRateLimit] = useState(false);
  const [result, update] = useMutation(Update);
  const errors = apiErrors(result.error);
  const accessErr = accessErrors(errors, sentRateLimit);
  // A name already taken (CONFLICT) is about the name field too.
  const { byField, general } = splitErrors(
    accessErr.rest.map((e) => (e.code === 'CONFLICT' && !e.field ? { ...e, field: 'name' } : e)),
    ['name', 'description'],
  );
  return (
    <Card title="Edit token">
      <form
        className="form"
        noValidate
        aria-label="Edit token"
        onSubmit={async (e) => {
          e.preventDefault();
          setAccessLocal(undefined);
          const rateLimitPerMinute = parseRateLimit(draft.rateLimit);
          if (rateLimitPerMinute === undefined) return setAccessLocal(RATE_LIMIT_NOT_A_NUMBER);
          const input: { name?: string; description?: string | null; allowedCidrs?: string[]; rateLimitPerMinute?: number | null } = {};
          if (draft.name !== token.name) input.name = draft.name;
          if (draft.description !== (token.description ?? '')) input.description = draft.description.trim() ? draft.description : null;
          // [] (not null) lifts the restriction: null would leave the list unchanged.
          const cidrs = parseCidrs(draft.cidrs);
          if (cidrs.join('\n') !== token.allowedCidrs.join('\n')) input.allowedCidrs = cidrs;
          // null = back to the gateway's default.
          if (rateLimitPerMinute !== token.rateLimitPerMinute) input.rateLimitPerMinute = rateLimitPerMinute;
          setSentRateLimit('rateLimitPerMinute' in input);
          if (Object.keys(input).length === 0) return onClose();
          const r = await update({ id: token.id, input }, { additionalTypenames: ['ApiToken', 'AuditEvent'] });
          if (!r.error) onClose();
        }}
      >
        <TokenFields draft={draft} onChange={setDraft} errors={{ name: byField.name, description: byField.description, cidrs: accessErr.cidrs, rateLimit: accessLocal ?? accessErr.rateLimit }} admin={admin} />
        <ErrorList errors={general} />
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={result.fetching}>
            Save changes
          </Button>
        </div>
      </form>
    </Card>
  );
}

interface AccessToken {
  id: string;
  name: string;
  allowedCidrs: readonly string[];
  rateLimitPerMinute: number | null;
  suggestedCidrs?: readonly string[];
}

/**
 * Where and how often the token may be used: its allowlist (or "anywhere"), its rate limit, and the ranges
 * seen in its usage, each with a one-click Allow that adds it to the list.
 */
function AccessCard({ token, editable }: { token: AccessToken; editable: boolean }) {
  const [result, update] = useMutation(Update);
  const [adding, setAdding] = useState<string | null>(null);
  const suggestions = (token.suggestedCidrs ?? []).filter((c) => !token.allowedCidrs.includes(c));
  const errors = apiErrors(result.error);
  return (
    <Card title="Access">
      <dl className="props">
        <dt>Allowed from</dt>
        <dd>
          {token.allowedCidrs.length === 0 ? (
            'Anywhere: no IP allowlist'
          ) : (
            <ul className="ip-list" aria-label="Allowed IP ranges">
              {token.allowedCidrs.map((c) => (
                <li key={c}>
                  <code>{c}</code>
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Rate limit</dt>
        <dd>{rateLimitText(token.rateLimitPerMinute)}</dd>
      </dl>
      {editable && suggestions.length > 0 && (
        <>
          <h3 className="subhead">Ranges seen in its usage</h3>
          <p className="hint">
            {token.allowedCidrs.length === 0
              ? 'Allowing a range turns the allowlist on: the token then works only from the ranges listed above.'
              : 'Add a range the token is used from to its allowlist.'}
          </p>
          <ul className="suggestions">
            {suggestions.map((c) => (
              <li key={c}>
                <code>{c}</code>
                <Button
                  size="sm"
                  icon="plus"
                  aria-label={`Allow ${c}`}
                  busy={result.fetching && adding === c}
                  disabled={result.fetching}
                  onClick={async () => {
                    setAdding(c);
                    await update({ id: token.id, input: { allowedCidrs: [...token.allowedCidrs, c] } }, { additionalTypenames: ['ApiToken', 'AuditEvent'] });
                    setAdding(null);
                  }}
                >
                  Allow
                </Button>
              </li>
            ))}
          </ul>
        </>
      )}
      <ErrorList errors={errors} />
    </Card>
  );
}

/** Disable (pause; the same secret works again after Enable) or enable, confirmed by a dialog naming the token. */
function PauseDialog({ kind, token, onClose }: { kind: 'disable' | 'enable'; token: { id: string; name: string }; onClose: () => void }) {
  const [disableResult, disable] = useMutation(Disable);
  const [enableResult, enable] = useMutation(Enable);
  const result = kind === 'disable' ? disableResult : enableResult;
  return (
    <ConfirmDialog
      title={kind === 'disable' ? `Disable “${token.name}”?` : `Enable “${token.name}”?`}
      confirmLabel={kind === 'disable' ? 'Disable token' : 'Enable token'}
      busy={result.fetching}
      errors={apiErrors(result.error)}
      onClose={onClose}
      onConfirm={async () => {
        const context = { additionalTypenames: ['ApiToken', 'ApiTokenAlerts', 'AuditEvent'] };
        const r = kind === 'disable' ? await disable({ id: token.id }, context) : await enable({ id: token.id }, context);
        if (!r.error) onClose();
      }}
    >
      {kind === 'disable' ? (
        <p>
          Every system using <strong>{token.name}</strong> is refused from now on, as if it were revoked, until you enable it again. Its secret stays the same.
        </p>
      ) : (
        <p>
          <strong>{token.name}</strong> works again with the same secret, straight away. It counts towards the account’s limit of active tokens again.
        </p>
      )}
    </ConfirmDialog>
  );
}
