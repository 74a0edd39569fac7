import { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { clock, DAY_MS } from '../../common/clock';
import { UsageService } from '../usage/usage.service';
import { WebhookService } from '../webhook/webhook.service';
import { ExpiryNotifier, ExpiryPassResult } from './expiry-notifier';
import { Mailer } from './mailer';
import { WebhookDelivery } from '../webhook/webhook.entity';
import type { InactivityPassResult } from '../api-token/inactivity';

export interface SchedulerSettings {
  /** 0 = no in-process timer (run `npm run notify` from cron instead). */
  notifyIntervalMs: number;
  /** 0 = deliveries only on scheduler passes. */
  webhookDeliveryIntervalMs: number;
  usageRetentionDays: number;
}

export interface PassResult extends ExpiryPassResult, InactivityPassResult {
  webhookAttempts: number;
  usageRowsPruned: number;
  deliveriesPruned: number;
}

/** Finished deliveries are kept this long for webhookDeliveries. */
const DELIVERY_RETENTION_DAYS = 30;

/**
 * The background work: the inactivity clean-up, expiry notices and the
 * e-mails of every notice, webhook deliveries, and pruning. The same runOnce() serves the in-process timers and the
 * `npm run notify` command; correctness across replicas comes from the
 * database (unique notice keys, claimed deliveries and e-mails), not from
 * there being one runner.
 */
export class Scheduler {
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<PassResult>;
  private delivering?: Promise<number>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly notifier: ExpiryNotifier,
    private readonly webhooks: WebhookService,
    private readonly usage: UsageService,
    private readonly mailer: Mailer,
    private readonly settings: SchedulerSettings,
    private readonly logger: Logger,
    /** The inactivity clean-up (account policy revokeUnusedAfterDays). */
    private readonly inactivity?: { run(): Promise<InactivityPassResult> },
  ) {}

  start(): void {
    if (this.timers.length) return;
    if (this.settings.notifyIntervalMs > 0) {
      const t = setInterval(() => void this.runOnce().catch((err) => this.logger.error({ err }, 'scheduler pass failed')), this.settings.notifyIntervalMs);
      t.unref();
      this.timers.push(t);
    }
    if (this.settings.webhookDeliveryIntervalMs > 0) {
      const t = setInterval(() => void this.deliverWebhooks().catch((err) => this.logger.warn({ err }, 'webhook delivery pass failed')), this.settings.webhookDeliveryIntervalMs);
      t.unref();
      this.timers.push(t);
    }
  }

  /** One full pass. Concurrent calls in one process share the pass in progress. */
  runOnce(): Promise<PassResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  deliverWebhooks(): Promise<number> {
    this.delivering ??= this.webhooks.deliverDue().finally(() => {
      this.delivering = undefined;
    });
    return this.delivering;
  }

  private async pass(): Promise<PassResult> {
    // Before the expiry notices: its warnings' e-mails go out with theirs, and its revocations' webhooks below.
    const inactive = (await this.inactivity?.run()) ?? { warned: 0, revoked: 0 };
    const expiry = await this.notifier.run();
    const webhookAttempts = await this.deliverWebhooks();
    const usageRowsPruned = await this.usage.prune(this.settings.usageRetentionDays);
    const cutoff = new Date(clock.nowMs() - DELIVERY_RETENTION_DAYS * DAY_MS);
    const pruned = await this.dataSource.transaction((em) =>
      em.createQueryBuilder().delete().from(WebhookDelivery).where("status IN ('SUCCEEDED', 'FAILED') AND updatedAt < :cutoff", { cutoff }).execute(),
    );
    const result = { ...expiry, ...inactive, webhookAttempts, usageRowsPruned, deliveriesPruned: pruned.affected ?? 0 };
    if (result.notices || result.emails || result.warned || result.revoked || webhookAttempts || usageRowsPruned) this.logger.info(result, 'scheduler pass');
    return result;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([this.running, this.delivering]);
    this.mailer.close();
  }
}
