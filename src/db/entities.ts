import { Account } from '../modules/account/account.entity';
import { ApiToken } from '../modules/api-token/api-token.entity';
import { ApiTokenTrigram } from '../modules/api-token/api-token-trigram.entity';
import { RefreshToken, Session } from '../modules/session/session.entity';
import { Throttle } from '../modules/throttle/throttle.entity';
import { User } from '../modules/user/user.entity';
import { AuditEvent } from '../modules/audit/audit-event.entity';
import { ApiTokenUsage } from '../modules/usage/api-token-usage.entity';
import { Notification, NotificationSettings, TokenExpiryNotice } from '../modules/notification/notification.entity';
import { Webhook, WebhookDelivery } from '../modules/webhook/webhook.entity';
import { AccountScope } from '../modules/scope/account-scope.entity';
import { TokenInactivityNotice } from '../modules/api-token/inactivity-notice.entity';

export const ENTITIES = [
  Account,
  User,
  Session,
  RefreshToken,
  ApiToken,
  ApiTokenTrigram,
  Throttle,
  AuditEvent,
  ApiTokenUsage,
  TokenExpiryNotice,
  Notification,
  NotificationSettings,
  Webhook,
  WebhookDelivery,
  AccountScope,
  TokenInactivityNotice,
];
