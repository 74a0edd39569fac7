import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { apiErrors } from '../client';
import { graphql } from '../graphql';
import { Button, EmptyState, ErrorList, Loading, PageHeader, When, formatDateTime } from '../ui';

const NotificationsQuery = graphql(`
  query Notifications($unreadOnly: Boolean, $after: String) {
    notifications(first: 30, unreadOnly: $unreadOnly, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id kind thresholdDays tokenExpiresAt actor actedAt reason readAt createdAt token { id name status } }
    }
  }
`);
const MarkRead = graphql(`
  mutation MarkRead($ids: [ID!]!) { markNotificationsRead(ids: $ids) }
`);

const NOTICE_TYPES = { additionalTypenames: ['Notification'] };

type Notice = { kind: string; thresholdDays: number; tokenExpiresAt: string; actor: string | null; actedAt: string | null };

/** Notices that say a token stopped working. */
const BAD_KINDS = new Set(['TOKEN_EXPIRED', 'TOKEN_REVOKED', 'TOKEN_DISABLED']);

/** Reasons the service records in its own words, said in ours. */
const REASON_TEXT: Record<string, string> = { leak_report: 'its secret was reported as leaked', inactive: 'not used for too long' };

/** What happened to the token, after its name: an expiry (with its date) or an action someone else took (by whom, when). */
function noticeText(n: Notice): string {
  const by = n.actor ? ` by ${n.actor}` : '';
  const at = n.actedAt ? ` (${formatDateTime(n.actedAt)})` : '';
  switch (n.kind) {
    case 'TOKEN_EXPIRED':
      return `has expired (${formatDateTime(n.tokenExpiresAt)})`;
    case 'TOKEN_REVOKED':
      return `was revoked${by}${at}`;
    case 'TOKEN_DISABLED':
      return `was disabled${by}${at}`;
    case 'TOKEN_REGENERATED':
      return `was given a new secret${by}${at}`;
    case 'TOKEN_INACTIVE':
      return `has not been used for a long time and will be revoked on ${formatDateTime(n.tokenExpiresAt)} unless it is used`;
    default:
      return `${n.thresholdDays === 0 ? 'expires today' : `expires in ${n.thresholdDays} ${n.thresholdDays === 1 ? 'day' : 'days'}`} (${formatDateTime(n.tokenExpiresAt)})`;
  }
}

export default function Notifications() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [after, setAfter] = useState<string | null>(null);
  const [result] = useQuery({ query: NotificationsQuery, variables: { unreadOnly, after }, context: NOTICE_TYPES });
  const [markResult, mark] = useMutation(MarkRead);
  useEffect(() => {
    document.title = 'Notifications · Tokengate';
  }, []);
  const conn = result.data?.notifications;
  const unread = conn?.nodes.filter((n) => !n.readAt) ?? [];
  const markRead = (ids: string[]) => mark({ ids }, { additionalTypenames: ['Notification', 'NotificationConnection'] });
  return (
    <div className="page">
      <PageHeader
        title="Notifications"
        description="Expiry notices for the tokens you own, issued, or administer. Choose e-mail delivery in your profile."
        actions={
          unread.length > 0 && (
            <Button onClick={() => void markRead(unread.map((n) => n.id))} busy={markResult.fetching}>
              Mark all as read
            </Button>
          )
        }
      />
      <div className="segmented" role="group" aria-label="Show">
        <button type="button" aria-pressed={!unreadOnly} onClick={() => { setUnreadOnly(false); setAfter(null); }}>
          All
        </button>
        <button type="button" aria-pressed={unreadOnly} onClick={() => { setUnreadOnly(true); setAfter(null); }}>
          Unread
        </button>
      </div>
      <ErrorList errors={[...apiErrors(result.error), ...apiErrors(markResult.error)]} />
      {!conn && result.fetching && <Loading />}
      {conn && conn.totalCount === 0 && (
        <EmptyState title={unreadOnly ? 'All caught up' : 'No notifications'} icon="bell">
          <p>You will be told here before a token you care about expires, and when someone else revokes, disables or regenerates one of yours.</p>
        </EmptyState>
      )}
      {conn && conn.nodes.length > 0 && (
        <ul className="notices">
          {conn.nodes.map((n) => (
            <li key={n.id} className={`notice ${n.readAt ? '' : 'notice-unread'}`}>
              <span className={`notice-dot ${BAD_KINDS.has(n.kind) ? 'bad' : ''}`} aria-hidden="true" />
              <div className="notice-body">
                <p>
                  {n.token ? <Link href={`/tokens/${n.token.id}`}>{n.token.name}</Link> : <span>A token you can no longer see</span>}{' '}
                  {noticeText(n)}
                </p>
                {n.reason && n.kind !== 'TOKEN_INACTIVE' && <p className="sub">Reason: {REASON_TEXT[n.reason] ?? n.reason}</p>}
                <p className="sub">
                  <When iso={n.createdAt} />
                  {!n.readAt && <span className="sr-only">, unread</span>}
                </p>
              </div>
              {!n.readAt && (
                <Button size="sm" variant="ghost" onClick={() => void markRead([n.id])}>
                  Mark read
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {conn?.pageInfo.hasNextPage && (
        <div className="pager">
          <Button size="sm" onClick={() => setAfter(conn.pageInfo.endCursor)}>
            Older
          </Button>
        </div>
      )}
    </div>
  );
}
