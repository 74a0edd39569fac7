import http from 'node:http';
import https from 'node:https';
import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Principal } from '../../auth/principal';
import { clock } from '../../common/clock';
import { newId } from '../../common/ids';
import { decodeCursor, Page, pageById, validatePageSize } from '../../common/pagination';
import type { WithAuthority } from '../../auth/authority';
import type { Account } from '../account/account.entity';
import { badInput, notFound } from '../../errors';
import { recordAudit } from '../audit/audit';
import { newWebhookSecret, SecretBox, signWebhook } from './webhook-crypto';
import { WEBHOOK_EVENTS } from './webhook-events';
import { blockedAddressReason, classifyAddress, deliveryErrorMessage, guardedLookup, validateWebhookUrl } from './webhook-url';
import { CreatedWebhook, DeliveryStatus, Webhook, WebhookDelivery } from './webhook.entity';
import type { RequestMeta } from '../../common/request-meta';

export const MAX_WEBHOOKS_PER_ACCOUNT = 20;

export interface WebhookSettings {
  allowPrivate: boolean;
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  signingKey: string;
}

export interface HttpOutcome {
  status: number | null;
  /** Shown to admins in the attempt log: a fixed phrase, never an address (deliveryErrorMessage). */
  error: string | null;
  /** For the operator's log only: Node's error code (ECONNREFUSED, EBLOCKED…), no address. */
  cause?: string;
}

/** Delay before attempt n+1 after n failed attempts: base, 2×base, 4×base… capped at a day. */
export function retryDelayMs(failedAttempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failedAttempts - 1), 24 * 60 * 60 * 1000);
}

/**
 * Account webhooks: registration (OWNER and ADMIN: the permission map's adminReader/adminWriter
 * rules; create and delete re-check inside their transaction), and the delivery worker
 * that sends queued events with HMAC signatures and retries failures with
 * exponential backoff. Deliveries are claimed with a conditional UPDATE, so
 * any number of replicas can run the worker without sending an attempt twice.
 */
export class WebhookService {
  private readonly box: SecretBox;

  constructor(
    private readonly dataSource: DataSource,
    private readonly withAuthority: WithAuthority<Account>,
    private readonly settings: WebhookSettings,
    private readonly logger?: Logger,
  ) {
    this.box = new SecretBox(settings.signingKey);
  }

  async create(principal: Principal, input: { url: string; events: string[] }, meta: RequestMeta): Promise<CreatedWebhook> {
    const url = validateWebhookUrl(input.url ?? '', this.settings.allowPrivate);
    const events = [...new Set(input.events ?? [])];
    if (events.length === 0) throw badInput('events', `must list at least one of ${WEBHOOK_EVENTS.join(', ')}`);
    const unknown = events.find((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e));
    if (unknown !== undefined) throw badInput('events', `"${unknown.slice(0, 40)}" is not one of ${WEBHOOK_EVENTS.join(', ')}`);
    const secret = newWebhookSecret();
    const webhook = await this.withAuthority(principal, meta, 'admin', async (em, actor) => {
      const count = await em.getRepository(Webhook).countBy({ accountId: actor.accountId });
      if (count >= MAX_WEBHOOKS_PER_ACCOUNT) throw badInput('url', `an account may have at most ${MAX_WEBHOOKS_PER_ACCOUNT} webhooks`);
      const saved = await em.save(
        em.getRepository(Webhook).create({
          id: newId(),
          accountId: actor.accountId,
          url,
          events,
          secretCiphertext: this.box.encrypt(secret),
          createdById: actor.userId,
        }),
      );
      await recordAudit(em, {
        accountId: actor.accountId,
        action: 'webhook.created',
        principal: actor,
        meta,
        targetType: 'webhook',
        targetId: saved.id,
        details: { url, events },
      });
      return saved;
    });
    return Object.assign(new CreatedWebhook(), { webhook, secret });
  }

  async list(principal: Principal): Promise<Webhook[]> {
    return this.dataSource.getRepository(Webhook).find({ where: { accountId: principal.accountId }, order: { id: 'ASC' } });
  }

  async delete(principal: Principal, id: string, meta: RequestMeta): Promise<string> {
    return this.withAuthority(principal, meta, 'admin', async (em, actor) => {
      const hook = await em.getRepository(Webhook).findOneBy({ id, accountId: actor.accountId });
      if (!hook) throw notFound('Webhook');
      await em.getRepository(WebhookDelivery).delete({ webhookId: hook.id });
      await em.getRepository(Webhook).delete({ id: hook.id });
      await recordAudit(em, {
        accountId: actor.accountId,
        action: 'webhook.deleted',
        principal: actor,
        meta,
        targetType: 'webhook',
        targetId: hook.id,
        details: { url: hook.url, events: hook.events },
      });
      return hook.id;
    });
  }

  /** Newest first; null when the webhook is missing or another account's. */
  async deliveries(principal: Principal, webhookId: string, first?: number | null, after?: string | null): Promise<Page<WebhookDelivery> | null> {
    const size = validatePageSize(first);
    const afterId = decodeCursor(after);
    const hook = await this.dataSource.getRepository(Webhook).findOne({ where: { id: webhookId, accountId: principal.accountId }, select: { id: true } });
    if (!hook) return null;
    const qb = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      // The webhook was found in the caller's account just above: its id alone scopes the deliveries, and
      // (webhookId, id) then answers the count from the index.
      .where('d.webhookId = :webhookId', { webhookId: hook.id })
      .useIndex('idx_webhook_delivery_webhook');
    return pageById(qb, size, afterId);
  }

  /** Send every delivery that is due (one batch). Returns how many attempts were made. */
  async deliverDue(limit = 50): Promise<number> {
    const now = clock.now();
    const due = await this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .select('d.id', 'id')
      .where("d.status = 'PENDING' AND d.nextAttemptAt <= :now AND (d.lockedUntil IS NULL OR d.lockedUntil <= :now)", { now })
      .orderBy('d.nextAttemptAt', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    let attempts = 0;
    for (const { id } of due) {
      if (await this.deliverOne(id)) attempts += 1;
    }
    return attempts;
  }

  private async deliverOne(id: string): Promise<boolean> {
    const now = clock.now();
    const lease = new Date(now.getTime() + this.settings.timeoutMs + 60_000);
    const claimed = await this.dataSource.transaction((em) =>
      em
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({ lockedUntil: lease })
        .where("id = :id AND status = 'PENDING' AND nextAttemptAt <= :now AND (lockedUntil IS NULL OR lockedUntil <= :now)", { id, now })
        .updateEntity(false)
        .execute(),
    );
    if (claimed.affected !== 1) return false;
    const delivery = await this.dataSource.getRepository(WebhookDelivery).findOneBy({ id });
    const hook = delivery ? await this.dataSource.getRepository(Webhook).findOneBy({ id: delivery.webhookId }) : null;
    if (!delivery || !hook) return false;

    const started = Date.now();
    let outcome: HttpOutcome;
    try {
      const secret = this.box.decrypt(hook.secretCiphertext);
      const timestamp = Math.floor(clock.nowMs() / 1000);
      outcome = await this.post(hook.url, delivery.payload, {
        'x-tokengate-event': delivery.event,
        'x-tokengate-delivery': delivery.id,
        'x-tokengate-timestamp': String(timestamp),
        'x-tokengate-signature': `v1=${signWebhook(secret, timestamp, delivery.payload)}`,
      });
    } catch (err) {
      // Decrypting the secret (SESSION_SIGNING_KEY rotated) or building the request failed: nothing was sent.
      this.logger?.error({ err, deliveryId: id, webhookId: hook.id }, 'webhook delivery could not be prepared');
      outcome = { status: null, error: 'the delivery could not be prepared; see the service log', cause: 'EPREPARE' };
    }
    const ms = Date.now() - started;
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    const attemptCount = delivery.attemptCount + 1;
    const finishedAt = clock.now();
    const log = [...(delivery.attemptLog ?? []), { at: finishedAt.toISOString(), status: outcome.status, error: ok ? null : outcome.error, ms }].slice(-20);
    const giveUp = !ok && attemptCount >= this.settings.maxAttempts;
    await this.dataSource.transaction((em) =>
      em
        .createQueryBuilder()
        .update(WebhookDelivery)
        .set({
          attemptCount,
          attemptLog: log as never,
          lockedUntil: null,
          status: ok ? DeliveryStatus.SUCCEEDED : giveUp ? DeliveryStatus.FAILED : DeliveryStatus.PENDING,
          deliveredAt: ok ? finishedAt : null,
          nextAttemptAt: ok || giveUp ? null : new Date(finishedAt.getTime() + retryDelayMs(attemptCount, this.settings.retryBaseMs)),
          updatedAt: finishedAt,
        })
        .where('id = :id', { id })
        .updateEntity(false)
        .execute(),
    );
    if (!ok) this.logger?.warn({ deliveryId: id, webhookId: hook.id, status: outcome.status, error: outcome.error, cause: outcome.cause, attemptCount, giveUp }, 'webhook delivery failed');
    return true;
  }

  /** One POST, no redirects followed, addresses checked as connected. */
  private post(rawUrl: string, body: string, headers: Record<string, string>): Promise<HttpOutcome> {
    const url = new URL(rawUrl);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (classifyAddress(host) !== null) {
      // An address in the URL itself (the admin wrote it), checked again: the setting may have changed since.
      const reason = blockedAddressReason(host, this.settings.allowPrivate);
      if (reason) return Promise.resolve({ status: null, error: `refused: the URL points at a ${reason}`, cause: 'EBLOCKED' });
    }
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          lookup: guardedLookup(this.settings.allowPrivate) as never,
          timeout: this.settings.timeoutMs,
          headers: { 'content-type': 'application/json', 'user-agent': 'Tokengate-Webhooks/1', 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          res.resume(); // the body is not needed
          res.on('end', () => resolve({ status: res.statusCode ?? null, error: `HTTP ${res.statusCode}` }));
          res.on('error', () => resolve({ status: res.statusCode ?? null, error: `HTTP ${res.statusCode}` }));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) =>
        resolve({ status: null, error: deliveryErrorMessage(err, this.settings.timeoutMs), cause: typeof err.code === 'string' ? err.code : 'EUNKNOWN' }),
      );
      req.end(body);
    });
  }
}
