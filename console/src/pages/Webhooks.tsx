import { useEffect, useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { Link } from 'wouter';
import { apiErrors, splitErrors } from '../client';
import { BackLink, DataTable, Pager } from '../list';
import { graphql } from '../graphql';
import { Icon } from '../icons';
import { Button, Card, ConfirmDialog, CopyButton, Dialog, EmptyState, ErrorList, Loading, PageHeader, StatusBadge, TextInput, Unavailable, When, formatDateTime } from '../ui';

const WebhooksQuery = graphql(`
  query Webhooks { webhooks { id url events createdAt } }
`);
const CreateWebhook = graphql(`
  mutation CreateWebhook($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id url events createdAt } } }
`);
const DeleteWebhook = graphql(`
  mutation DeleteWebhook($id: ID!) { deleteWebhook(id: $id) }
`);
const Deliveries = graphql(`
  query Deliveries($id: ID!, $after: String) {
    webhookDeliveries(webhookId: $id, first: 25, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id event status attemptCount createdAt deliveredAt nextAttemptAt attempts { attemptedAt statusCode durationMs error } }
    }
  }
`);

const EVENTS = [
  { name: 'token.created', text: 'A token is created' },
  { name: 'token.regenerated', text: 'A token gets a new secret' },
  { name: 'token.revoked', text: 'A token is revoked' },
  { name: 'token.deleted', text: 'A token is deleted' },
  { name: 'token.expiring', text: 'A token is about to expire' },
  { name: 'token.expired', text: 'A token has expired' },
];

// An empty list names no type: say which mutations should refresh it.
const WEBHOOK_TYPES = { additionalTypenames: ['Webhook'] };
const DELIVERY_TYPES = { additionalTypenames: ['WebhookDelivery'] };

export default function Webhooks({ selected }: { selected?: string }) {
  const [result] = useQuery({ query: WebhooksQuery, context: WEBHOOK_TYPES });
  const [createResult, create] = useMutation(CreateWebhook);
  const [deleteResult, remove] = useMutation(DeleteWebhook);
  const [url, setUrl] = useState('');
  const [events, setEvents] = useState<string[]>(['token.expiring', 'token.expired', 'token.revoked']);
  const [secret, setSecret] = useState<{ secret: string; url: string } | null>(null);
  const [deleting, setDeleting] = useState<{ id: string; url: string } | null>(null);
  useEffect(() => {
    document.title = 'Webhooks · Tokengate';
  }, []);
  const errors = apiErrors(result.error);
  if (!result.data && result.fetching) return <Loading />;
  if (!result.data) return <Unavailable errors={errors} />;
  const { byField, general } = splitErrors(apiErrors(createResult.error), ['url', 'events']);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await create({ input: { url: url.trim(), events } }, { additionalTypenames: ['Webhook'] });
    if (r.data) {
      setSecret({ secret: r.data.createWebhook.secret, url: r.data.createWebhook.webhook.url });
      setUrl('');
    }
  };
  const hook = selected ? result.data.webhooks.find((w) => w.id === selected) : undefined;
  if (selected) {
    return (
      <div className="page page-wide">
        <PageHeader
          back={
            <BackLink href="/webhooks">Webhooks</BackLink>
          }
          title="Deliveries"
          description={hook ? hook.url : undefined}
        />
        {hook ? <DeliveryList id={hook.id} /> : <p>This webhook does not exist (any more).</p>}
      </div>
    );
  }
  return (
    <div className="page">
      <PageHeader title="Webhooks" description="Signed JSON POSTs to your systems when tokens change or near expiry. Failed deliveries are retried with backoff." />
      <Card title="Add a webhook">
        <form className="form" onSubmit={submit} noValidate>
          <TextInput label="Endpoint URL" type="url" placeholder="https://example.com/hooks/tokengate" value={url} onChange={(e) => setUrl(e.target.value)} error={byField.url} />
          <fieldset className="fieldset">
            <legend>Events</legend>
            <div className="checks checks-2">
              {EVENTS.map((ev) => (
                <label key={ev.name} className="check">
                  <input type="checkbox" checked={events.includes(ev.name)} onChange={(e) => setEvents(e.target.checked ? [...events, ev.name] : events.filter((x) => x !== ev.name))} />
                  <span>
                    {ev.text} <code className="muted">{ev.name}</code>
                  </span>
                </label>
              ))}
            </div>
            {byField.events && <p className="field-error">{byField.events}</p>}
          </fieldset>
          <ErrorList errors={general} />
          <div className="form-actions">
            <Button type="submit" variant="primary" busy={createResult.fetching}>
              Add webhook
            </Button>
          </div>
        </form>
      </Card>
      {result.data.webhooks.length === 0 ? (
        <EmptyState title="No webhooks" icon="webhook">
          <p>Add one to hear about expiring and revoked tokens in your chat, ticketing or secrets manager.</p>
        </EmptyState>
      ) : (
        <DataTable
          rows={result.data.webhooks}
          rowKey={(w) => w.id}
          columns={[
            { label: 'Endpoint', cell: (w) => <code className="break">{w.url}</code> },
            {
              label: 'Events',
              className: 'scopes',
              cell: (w) =>
                w.events.map((e) => (
                  <span className="chip" key={e}>
                    {e}
                  </span>
                )),
            },
            { label: 'Added', cell: (w) => <When iso={w.createdAt} mode="date" /> },
            {
              label: 'Actions',
              actions: true,
              cell: (w) => (
                <>
                  <Link href={`/webhooks/${w.id}`} className="btn btn-secondary btn-sm">
                    Deliveries
                  </Link>
                  <Button size="sm" variant="ghost" onClick={() => setDeleting(w)} aria-label={`Remove webhook ${w.url}`}>
                    Remove
                  </Button>
                </>
              ),
            },
          ]}
        />
      )}
      {secret && (
        <Dialog title="Webhook added: copy its signing secret" onClose={() => setSecret(null)} footer={<Button variant="primary" onClick={() => setSecret(null)}>I have copied it</Button>}>
          <div className="alert alert-warning" role="note">
            <Icon name="alert" />
            <div>
              <strong>This secret is shown once.</strong>
              <p>Verify the X-Tokengate-Signature header of each delivery to {secret.url} with it.</p>
            </div>
          </div>
          <label htmlFor="webhook-secret" className="secret-label">
            Signing secret
          </label>
          <div className="secret-row">
            <input id="webhook-secret" className="input secret-value" readOnly value={secret.secret} />
            <CopyButton text={secret.secret} label="Copy secret" variant="primary" />
          </div>
        </Dialog>
      )}
      {deleting && (
        <ConfirmDialog
          title="Remove this webhook?"
          confirmLabel="Remove webhook"
          busy={deleteResult.fetching}
          errors={apiErrors(deleteResult.error)}
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            const r = await remove({ id: deleting.id }, { additionalTypenames: ['Webhook'] });
            if (!r.error) setDeleting(null);
          }}
        >
          <p>
            <code className="break">{deleting.url}</code> gets no more deliveries; pending ones are dropped.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function DeliveryList({ id }: { id: string }) {
  const [after, setAfter] = useState<string | null>(null);
  const [result] = useQuery({ query: Deliveries, variables: { id, after }, context: DELIVERY_TYPES });
  if (!result.data && result.fetching) return <Loading />;
  const conn = result.data?.webhookDeliveries;
  if (!conn) return <ErrorList errors={apiErrors(result.error).length ? apiErrors(result.error) : ['This webhook does not exist (any more).']} />;
  if (conn.totalCount === 0)
    return (
      <EmptyState title="No deliveries yet" icon="webhook">
        <p>Deliveries appear here as soon as one of the webhook's events happens.</p>
      </EmptyState>
    );
  return (
    <>
      <DataTable
        rows={conn.nodes}
        rowKey={(d) => d.id}
        busy={result.fetching}
        columns={[
          { label: 'Event', cell: (d) => <code>{d.event}</code> },
          {
            label: 'Status',
            cell: (d) => (
              <>
                <StatusBadge status={d.status} />
                {d.nextAttemptAt && (
                  <div className="sub">
                    next try <When iso={d.nextAttemptAt} />
                  </div>
                )}
              </>
            ),
          },
          { label: 'Created', cell: (d) => formatDateTime(d.createdAt) },
          {
            label: 'Attempts',
            cell: (d) =>
              d.attempts.length === 0 ? (
                <span className="muted">Not tried yet</span>
              ) : (
                <ol className="attempts">
                  {d.attempts.map((a, i) => (
                    <li key={i}>
                      {formatDateTime(a.attemptedAt)}: {a.statusCode ? `HTTP ${a.statusCode}` : 'no answer'} in {a.durationMs} ms{a.error ? ` (${a.error})` : ''}
                    </li>
                  ))}
                </ol>
              ),
          },
        ]}
      />
      <Pager
        summary={`${conn.totalCount} deliveries`}
        back={{ label: 'Newest', disabled: !after, onClick: () => setAfter(null) }}
        forward={{ label: 'Older', disabled: !conn.pageInfo.hasNextPage, onClick: () => setAfter(conn.pageInfo.endCursor) }}
      />
    </>
  );
}
