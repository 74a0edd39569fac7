import { EntityManager } from 'typeorm';
import { newId } from '../../common/ids';
import { DeliveryStatus, Webhook, WebhookDelivery } from './webhook.entity';

export const WEBHOOK_EVENTS = [
  'token.expiring',
  'token.expired',
  'token.created',
  'token.revoked',
  'token.deleted',
  'token.regenerated',
  'token.disabled',
  'token.enabled',
  'token.updated',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];

/**
 * Queue one event for every webhook of the account that subscribes to it, in
 * the caller's transaction (an outbox): the delivery exists if and only if the
 * change committed. The delivery loop sends it.
 */
export async function enqueueWebhookEvent(em: EntityManager, accountId: string, type: WebhookEventType, data: Record<string, unknown>, now: Date): Promise<number> {
  const hooks = (await em.getRepository(Webhook).find({ where: { accountId }, select: { id: true, events: true } })).filter((h) => h.events.includes(type));
  if (hooks.length === 0) return 0;
  const eventId = newId();
  const body = JSON.stringify({ id: eventId, type, createdAt: now.toISOString(), accountId, data });
  const rows = hooks.map((h) =>
    em.getRepository(WebhookDelivery).create({
      id: newId(),
      webhookId: h.id,
      accountId,
      event: type,
      payload: body,
      status: DeliveryStatus.PENDING,
      attemptCount: 0,
      nextAttemptAt: now,
      lockedUntil: null,
      deliveredAt: null,
      attemptLog: [],
    }),
  );
  await em.save(rows);
  return rows.length;
}
