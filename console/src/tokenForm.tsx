import type { ReactNode } from 'react';
import type { ApiError } from './client';
import { Field, TextInput } from './ui';

/*
 * The fields a token's create form and its edit form share: name, description, and where and how often
 * it may be used (issue #16): its IP allowlist (`allowedCidrs`) and its own gateway rate limit
 * (`rateLimitPerMinute`). The API validates them all; its refusals are shown under the field they concern.
 */

export const MAX_ALLOWED_CIDRS = 20;

export interface TokenDraft extends AccessDraft {
  name: string;
  description: string;
}

export const tokenDraft = (token?: { name: string; description?: string | null; allowedCidrs: readonly string[]; rateLimitPerMinute: number | null }): TokenDraft => ({
  name: token?.name ?? '',
  description: token?.description ?? '',
  ...accessDraft(token),
});

export interface TokenFieldErrors {
  name?: string;
  description?: string;
  cidrs?: string;
  rateLimit?: string;
}

/** Name, description, what the form adds (children), then the allowlist and the rate limit. */
export function TokenFields({ draft, onChange, errors, admin, children }: { draft: TokenDraft; onChange: (d: TokenDraft) => void; errors: TokenFieldErrors; admin: boolean; children?: ReactNode }) {
  return (
    <>
      <TextInput label="Name" name="name" required maxLength={100} value={draft.name} onChange={(e) => onChange({ ...draft, name: e.target.value })} error={errors.name} hint="What uses it, e.g. “ci-deploy” or “k8s-production”. Unique among the owner’s tokens." autoFocus />
      <Field label="Description" optional error={errors.description} hint="Up to 1,000 characters.">
        {({ id, describedBy, invalid }) => (
          <textarea id={id} name="description" className="input" rows={2} maxLength={1000} value={draft.description} onChange={(e) => onChange({ ...draft, description: e.target.value })} aria-describedby={describedBy} aria-invalid={invalid || undefined} />
        )}
      </Field>
      {children}
      <AccessFields draft={draft} onChange={(a) => onChange({ ...draft, ...a })} errors={errors} admin={admin} />
    </>
  );
}

export interface AccessDraft {
  /** One range per line, as typed. */
  cidrs: string;
  /** Requests per minute as typed; '' = the gateway's default. */
  rateLimit: string;
}

const accessDraft = (token?: { allowedCidrs: readonly string[]; rateLimitPerMinute: number | null }): AccessDraft => ({
  cidrs: (token?.allowedCidrs ?? []).join('\n'),
  rateLimit: token?.rateLimitPerMinute == null ? '' : String(token.rateLimitPerMinute),
});

/** The ranges typed, one per line (commas and spaces also separate them); blank lines dropped. */
export const parseCidrs = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * The limit typed: null when blank (the gateway's default), a whole number for the API to judge (its range
 * included), or undefined when it is not a whole number (said on the field before anything is sent).
 */
export function parseRateLimit(text: string): number | null | undefined {
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isInteger(n) ? n : undefined;
}

export const RATE_LIMIT_NOT_A_NUMBER = 'Enter a whole number of requests per minute, or leave it empty for the gateway’s default.';

/**
 * The errors that concern the access fields: BAD_USER_INPUT names `allowedCidrs`, `allowedCidrs[i]` or
 * `rateLimitPerMinute`; a FORBIDDEN without a field is the rate-limit rule (only OWNER/ADMIN may raise it)
 * when the request changed the limit.
 */
export function accessErrors(errors: ApiError[], rateLimitChanged: boolean): { cidrs?: string; rateLimit?: string; rest: ApiError[] } {
  let cidrs: string | undefined;
  let rateLimit: string | undefined;
  const rest: ApiError[] = [];
  for (const e of errors) {
    const field = e.field?.replace(/^input\./, '').replace(/\[\d+\]$/, '');
    if (field === 'allowedCidrs' && !cidrs) cidrs = e.message;
    else if ((field === 'rateLimitPerMinute' || (e.code === 'FORBIDDEN' && !e.field && rateLimitChanged)) && !rateLimit) rateLimit = e.message;
    else rest.push(e);
  }
  return { cidrs, rateLimit, rest };
}

/** The two fields, for a form; `admin` only changes the hint (the API decides). */
function AccessFields({ draft, onChange, errors, admin }: { draft: AccessDraft; onChange: (d: AccessDraft) => void; errors: { cidrs?: string; rateLimit?: string }; admin: boolean }) {
  const count = parseCidrs(draft.cidrs).length;
  return (
    <>
      <Field
        label="Allowed IP ranges"
        optional
        error={errors.cidrs}
        hint={
          <>
            One IPv4 or IPv6 address or CIDR range per line (e.g. <code>203.0.113.0/24</code>, <code>2001:db8::/48</code>), at most {MAX_ALLOWED_CIDRS}. Requests from anywhere else are refused. Empty: usable from anywhere.
            {count > 0 && ` ${count} ${count === 1 ? 'range' : 'ranges'}.`}
          </>
        }
      >
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            name="allowedCidrs"
            className="input input-mono"
            rows={Math.min(6, Math.max(2, count + 1))}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            value={draft.cidrs}
            onChange={(e) => onChange({ ...draft, cidrs: e.target.value })}
            aria-describedby={describedBy}
            aria-invalid={invalid || undefined}
          />
        )}
      </Field>
      <TextInput
        label="Rate limit (requests per minute)"
        optional
        name="rateLimitPerMinute"
        type="number"
        inputMode="numeric"
        min={1}
        max={1_000_000}
        step={1}
        value={draft.rateLimit}
        onChange={(e) => onChange({ ...draft, rateLimit: e.target.value })}
        error={errors.rateLimit}
        hint={
          admin
            ? 'What the gateway allows this token per minute, from 1 to 1,000,000. Empty: the gateway’s default.'
            : 'What the gateway allows this token per minute. You may set it lower than the gateway’s default; only owners and admins may raise it. Empty: the default.'
        }
      />
    </>
  );
}

/** "600 / min", or the default, for the detail page and the list. */
export const rateLimitText = (limit: number | null): string => (limit == null ? 'Gateway default' : `${limit.toLocaleString('en')} requests per minute`);
