import { CREATION_TEXT } from './rules';
import { ROLE_LABEL, type Role } from './session';
import { formatDateTime } from './ui';

/*
 * An audit event's `reason` and `details` (a JSON object written by the service, see src/ where each
 * action is audited) as short lines a person can read: "name: ci-deploy → ci-release", "rate limit:
 * gateway default → 120/min", "reason: wrong password". Keys this file does not know are still shown,
 * as `key: value`, so a newer service never has its details hidden by an older console. The details
 * never hold a secret (the service writes none), and nothing here adds one.
 */

export interface DetailLine {
  /** What the line is about ("name", "reason"); none for a phrase that says it all ("revoked in bulk"). */
  label?: string;
  text: string;
  /** A line of context (the token's name, role and owner) rather than of change: shown quieter. */
  context?: boolean;
}

type Names = Map<string, string> | undefined;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const NONE = 'none';

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** Any value as text: lists joined, objects as JSON; strings as they are (a name may look like a date). */
export function plain(v: unknown): string {
  if (isEmpty(v)) return NONE;
  if (Array.isArray(v)) return v.map(plain).join(', ');
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return v.toLocaleString('en');
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return JSON.stringify(v);
}

/** A time the service wrote (ISO 8601) as a date and time; anything else as it is. */
const when = (v: unknown, empty: string) => (isEmpty(v) ? empty : typeof v === 'string' && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)) ? formatDateTime(v) : plain(v));
const role = (v: unknown) => (typeof v === 'string' && v in ROLE_LABEL ? ROLE_LABEL[v as Role] : plain(v));
const days = (v: unknown, empty: string) => (isEmpty(v) ? empty : typeof v === 'number' ? `${v.toLocaleString('en')} ${v === 1 ? 'day' : 'days'}` : plain(v));

/** How each known field is named and shown, in token changes, policy changes and the details themselves. */
const FIELDS: Record<string, { label: string; value?: (v: unknown, names: Names) => string }> = {
  name: { label: 'name' },
  description: { label: 'description' },
  allowedCidrs: { label: 'IP allowlist', value: (v) => (isEmpty(v) ? 'anywhere' : plain(v)) },
  rateLimitPerMinute: { label: 'rate limit', value: (v) => (isEmpty(v) ? 'gateway default' : typeof v === 'number' ? `${v.toLocaleString('en')}/min` : plain(v)) },
  role: { label: 'role', value: role },
  minRole: { label: 'minimum role', value: role },
  environment: { label: 'environment' },
  expiresAt: { label: 'expires', value: (v) => when(v, 'never') },
  lastUsedAt: { label: 'last used', value: (v) => when(v, 'never') },
  scopes: { label: 'scopes' },
  ownerId: { label: 'owner', value: (v, names) => (typeof v === 'string' ? (names?.get(v) ?? `user ${v.slice(0, 8)}…`) : plain(v)) },
  email: { label: 'e-mail' },
  url: { label: 'URL' },
  events: { label: 'events' },
  maxActiveTokens: { label: 'active tokens allowed' },
  tokenCreation: { label: 'who may create tokens', value: (v) => (typeof v === 'string' && v in CREATION_TEXT ? CREATION_TEXT[v as keyof typeof CREATION_TEXT] : plain(v)) },
  defaultTokenLifetimeDays: { label: 'default lifetime', value: (v) => days(v, NONE) },
  maxTokenLifetimeDays: { label: 'maximum lifetime', value: (v) => days(v, NONE) },
  expiryNotificationDays: { label: 'expiry notices', value: (v) => (Array.isArray(v) && v.length ? `${v.join(', ')} days before` : NONE) },
  revokeUnusedAfterDays: { label: 'revoke unused tokens after', value: (v) => days(v, 'off') },
};

const field = (key: string) => FIELDS[key] ?? { label: key };
const show = (key: string, v: unknown, names: Names) => (field(key).value ?? plain)(v, names);

/** "1 hour", "7 days", "90 seconds". */
function duration(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) if (seconds >= size && seconds % size === 0) return `${seconds / size} ${unit}${seconds === size ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

/** The reasons the service records (auth.failed, session.ended, system revocations, e-mail conflicts), as phrases. */
const REASONS: Record<string, string> = {
  wrong_password: 'wrong password',
  wrong_current_password: 'wrong current password',
  unknown_email: 'no user with this e-mail address',
  user_deactivated: 'the user is deactivated',
  owner_deactivated: 'the token’s owner is deactivated',
  malformed_credential: 'malformed credential',
  malformed_token: 'malformed token',
  incomplete_identity: 'incomplete identity from the gateway',
  incomplete_principal: 'incomplete credential',
  unknown_token: 'unknown token',
  revoked_token: 'the token is revoked',
  disabled_token: 'the token is disabled',
  deleted_token: 'the token is deleted',
  expired_token: 'the token has expired',
  replaced_secret: 'an old secret, after its grace period',
  username_mismatch: 'the username does not match the token',
  ip_not_allowed: 'the address is not in the token’s IP allowlist',
  invalid_session_token: 'invalid session token',
  unknown_session: 'unknown session',
  session_ended: 'the session had ended',
  logout: 'signed out',
  refresh_token_reuse: 'a used refresh token was presented again',
  revoked_by_user: 'signed out from another session',
  password_changed: 'the password was changed',
  leak_report: 'reported as leaked',
  inactive: 'unused for too long',
  sign_up: 'tried at sign-up',
  create_user: 'tried when adding a user',
};

/** A recorded reason as a phrase; one the console does not know stays as it is. */
export function reasonText(reason: string): string {
  const [where, rest] = reason.includes(':') ? [reason.slice(0, reason.indexOf(':')), reason.slice(reason.indexOf(':') + 1)] : ['', reason];
  const phrase = REASONS[rest] ?? rest;
  if (where === 'gateway') return `${phrase} (at the gateway)`;
  if (where === 'recheck') return `${phrase} (checked again before a change)`;
  return where ? reason : phrase;
}

function parse(details: string | null): Record<string, unknown> | null {
  if (!details) return null;
  try {
    const o: unknown = JSON.parse(details);
    return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : { details: o };
  } catch {
    return { details };
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => Boolean(v && typeof v === 'object' && !Array.isArray(v));
const isChange = (v: unknown): v is { from: unknown; to: unknown } => Boolean(v && typeof v === 'object' && 'from' in v && 'to' in v);

/** One line per field that differs between two objects (a policy's from and to). */
function diffLines(from: Record<string, unknown>, to: Record<string, unknown>, names: Names): DetailLine[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])];
  const lines = keys.filter((k) => JSON.stringify(from[k]) !== JSON.stringify(to[k])).map((k) => ({ label: field(k).label, text: `${show(k, from[k], names)} → ${show(k, to[k], names)}` }));
  return lines.length ? lines : [{ text: 'nothing changed' }];
}

/** The token a token event is about, as one line of context: name · role · environment · owner · expiry · scopes. */
function tokenContext(o: Record<string, unknown>, names: Names): DetailLine | null {
  const parts = [
    typeof o.name === 'string' ? o.name : null,
    'role' in o ? role(o.role) : null,
    isEmpty(o.environment) ? null : plain(o.environment),
    'ownerId' in o ? `owner ${show('ownerId', o.ownerId, names)}` : null,
    'expiresAt' in o ? `expires ${show('expiresAt', o.expiresAt, names)}` : null,
    isEmpty(o.scopes) ? null : `scopes ${plain(o.scopes)}`,
  ].filter((p): p is string => p !== null);
  return parts.length ? { label: 'token', text: parts.join(' · '), context: true } : null;
}
const TOKEN_CONTEXT = ['name', 'role', 'environment', 'ownerId', 'expiresAt', 'scopes'];

/** The lines for one detail key; null when the key is shown another way (context) or says nothing new. */
function keyLines(action: string, key: string, v: unknown, o: Record<string, unknown>, reason: string | null, names: Names): DetailLine[] | null {
  switch (key) {
    case 'changes':
      if (!isRecord(v)) break;
      return Object.entries(v).map(([k, c]) => ({ label: field(k).label, text: isChange(c) ? `${show(k, c.from, names)} → ${show(k, c.to, names)}` : plain(c) }));
    case 'from': {
      if (!('to' in o)) break;
      if (action === 'account.policy_updated' && isRecord(v) && isRecord(o.to)) return diffLines(v, o.to, names);
      const k = action === 'user.role_changed' ? 'role' : 'change';
      return [{ label: field(k).label, text: `${show(k, v, names)} → ${show(k, o.to, names)}` }];
    }
    case 'to':
      if ('from' in o) return null; // shown with `from`
      break;
    case 'bulk':
      if (v === true) return [{ text: 'revoked with “Revoke all matching”' }];
      break;
    case 'reason':
      if (typeof v === 'string' && v === reason) return null; // the event's own reason, shown already
      if (typeof v === 'string') return [{ label: 'reason', text: v }]; // a person's words (bulk revoke): as they wrote them
      break;
    case 'kind':
      if (v === 'SERVICE') return [{ text: 'a service account' }];
      if (v === 'PERSON') return [{ text: 'a person' }];
      break;
    case 'signUp':
      if (v === true) return [{ text: 'signed up, creating the account' }];
      break;
    case 'gracePeriodSeconds':
      if (typeof v === 'number') return [{ label: 'old secret', text: v === 0 ? 'stopped at once' : `kept working for ${duration(v)}` }];
      break;
    case 'unusedDays':
      if (typeof v === 'number') return [{ label: 'unused for', text: days(v, NONE) }];
      break;
    case 'otherSessionsEnded':
      if (typeof v === 'number') return [{ label: 'other sessions signed out', text: plain(v) }];
      break;
    case 'tokens':
      if (typeof v === 'number' && action === 'scope.deleted') return [{ label: 'taken from', text: `${v.toLocaleString('en')} ${v === 1 ? 'token' : 'tokens'}` }];
      break;
    case 'email':
      if (typeof v === 'boolean') return [{ label: 'e-mail notices', text: v ? 'on' : 'off' }];
      break;
    case 'name':
      if (action.startsWith('scope.')) return [{ label: 'scope', text: plain(v) }];
      break;
    case 'truncated':
      if (v === true) return [{ text: 'the details were too long to keep' }];
      break;
  }
  if (action.startsWith('token.') && TOKEN_CONTEXT.includes(key)) return null; // in the token's line of context
  return [{ label: field(key).label, text: show(key, v, names) }];
}

/** Everything an event's reason and details say, as lines; unknown keys as `key: value`. */
export function auditDetailLines(action: string, reason: string | null, details: string | null, names?: Map<string, string>): DetailLine[] {
  const lines: DetailLine[] = [];
  if (reason) lines.push({ label: 'reason', text: reasonText(reason) });
  const o = parse(details);
  if (!o) return lines;
  if (action.startsWith('token.')) {
    const context = tokenContext(o, names);
    if (context) lines.push(context);
  }
  for (const [key, v] of Object.entries(o)) lines.push(...(keyLines(action, key, v, o, reason, names) ?? []));
  return lines;
}

export function AuditDetails({ action, reason, details, names }: { action: string; reason: string | null; details: string | null; names?: Map<string, string> }) {
  const lines = auditDetailLines(action, reason, details, names);
  if (lines.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="details">
      {lines.map((l, i) => (
        <li key={i} className={l.context ? 'detail-context' : undefined}>
          {l.label ? (
            <>
              <span className="detail-label">{l.label}:</span>{' '}
            </>
          ) : null}
          {l.text}
        </li>
      ))}
    </ul>
  );
}
