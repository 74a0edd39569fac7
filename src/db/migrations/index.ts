import { Initial1795427371998 } from './1795427371998-Initial';
import { Throttle1795429334842 } from './1795429334842-Throttle';
import { ExactEmail1795429859851 } from './1795429859851-ExactEmail';
import { AuditUsageNotificationsWebhooks1795429831915 } from './1795429831915-AuditUsageNotificationsWebhooks';
import { AccountScopes1795432656686 } from './1795432656686-AccountScopes';
import { ScaleIndexes1795450000000 } from './1795450000000-ScaleIndexes';
import { TokenLifecycle1796142600703 } from './1796142600703-TokenLifecycle';
import { TokenAccess1796142600000 } from './1796142600000-TokenAccess';
import { ServiceAccounts1796143800000 } from './1796143800000-ServiceAccounts';
import { SearchIndex1796155377235 } from './1796155377235-SearchIndex';

/** Every migration, in order. A new migration is added here as well as in its own file. */
export const MIGRATIONS: Function[] = [
  Initial1795427371998,
  Throttle1795429334842,
  AuditUsageNotificationsWebhooks1795429831915,
  ExactEmail1795429859851,
  AccountScopes1795432656686,
  ScaleIndexes1795450000000,
  TokenAccess1796142600000,
  TokenLifecycle1796142600703,
  ServiceAccounts1796143800000,
  SearchIndex1796155377235,
];
