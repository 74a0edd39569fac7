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
      nodes { id kind thresholdDays tokenExpiresAt readAt createdAt token { id name status } }
    }
  }
`);
const MarkRead = graphql(`
  mutation MarkRead($ids: [ID!]!) { markNotificationsRead(ids: $ids) }
`);

const NOTICE_TYPES = { additionalTypenames: ['Notification'] };

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
          <p>You will be told here before a token you care about expires.</p>
        </EmptyState>
      )}
      {conn && conn.nodes.length > 0 && (
        <ul className="notices">
          {conn.nodes.map((n) => (
            <li key={n.id} className={`notice ${n.readAt ? '' : 'notice-unread'}`}>
              <span className={`notice-dot ${n.kind === 'TOKEN_EXPIRED' ? 'bad' : ''}`} aria-hidden="true" />
              <div className="notice-body">
                <p>
                  {n.token ? <Link href={`/tokens/${n.token.id}`}>{n.token.name}</Link> : <span>A token you can no longer see</span>}{' '}
                  {n.kind === 'TOKEN_EXPIRED' ? 'has expired' : n.thresholdDays === 0 ? 'expires today' : `expires in ${n.thresholdDays} ${n.thresholdDays === 1 ? 'day' : 'days'}`}
                  <span className="muted"> ({formatDateTime(n.tokenExpiresAt)})</span>
                </p>
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
