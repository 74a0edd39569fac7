import { useEffect, useId, useRef, useState, type ReactNode, type ButtonHTMLAttributes, type InputHTMLAttributes, type SelectHTMLAttributes } from 'react';
import { Icon, type IconName } from './icons';
import type { ApiError } from './client';
import { ROLE_LABEL, type Role } from './session';

type ButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  icon?: IconName;
  busy?: boolean;
  size?: 'sm' | 'md';
};

export function Button({ variant = 'secondary', icon, busy, size = 'md', children, className, disabled, type = 'button', ...rest }: ButtonProps) {
  return (
    <button type={type} className={`btn btn-${variant} btn-${size} ${className ?? ''}`} disabled={disabled || busy} aria-busy={busy || undefined} {...rest}>
      {busy ? <span className="spinner" aria-hidden="true" /> : icon ? <Icon name={icon} size={16} /> : null}
      {children}
    </button>
  );
}

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  optional?: boolean;
}

/** A labelled control with its hint and its error underneath, tied together for screen readers. */
export function Field({ label, hint, error, children, optional }: FieldProps) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${error ? 'field-invalid' : ''}`}>
      <label htmlFor={id}>
        {label}
        {optional && <span className="optional"> (optional)</span>}
      </label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p className="field-error" id={`${id}-error`}>
          <Icon name="alert" size={14} /> {error}
        </p>
      )}
    </div>
  );
}

export function TextInput({ label, hint, error, optional, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: string; hint?: ReactNode; error?: string; optional?: boolean }) {
  return (
    <Field label={label} hint={hint} error={error} optional={optional}>
      {({ id, describedBy, invalid }) => <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} className="input" {...rest} />}
    </Field>
  );
}

export function Select({ label, hint, error, children, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & { label: string; hint?: ReactNode; error?: string }) {
  return (
    <Field label={label} hint={hint} error={error}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} className="input" {...rest}>
          {children}
        </select>
      )}
    </Field>
  );
}

/** Errors that concern no single field, as sentences. */
export function ErrorList({ errors, title }: { errors: Array<ApiError | string>; title?: string }) {
  if (errors.length === 0) return null;
  return (
    <div className="alert alert-error" role="alert">
      <Icon name="alert" />
      <div>
        {title && <strong>{title}</strong>}
        {errors.map((e, i) => (
          <p key={i}>{typeof e === 'string' ? e : e.message}</p>
        ))}
      </div>
    </div>
  );
}

export function Notice({ kind = 'info', children }: { kind?: 'info' | 'warning' | 'success'; children: ReactNode }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'success' ? 'status' : undefined}>
      <Icon name={kind === 'success' ? 'check' : 'alert'} />
      <div>{children}</div>
    </div>
  );
}

const STATUS_LABEL: Record<string, string> = { ACTIVE: 'Active', EXPIRED: 'Expired', REVOKED: 'Revoked', DISABLED: 'Disabled', DELETED: 'Deleted', DEACTIVATED: 'Deactivated', PENDING: 'Pending', SUCCEEDED: 'Delivered', FAILED: 'Failed' };

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.toLowerCase()}`}>{STATUS_LABEL[status] ?? status}</span>;
}

export function RoleBadge({ role }: { role: Role }) {
  return <span className={`badge badge-role badge-role-${role.toLowerCase()}`}>{ROLE_LABEL[role]}</span>;
}

/** The exclamation mark for tokens that expire within 7 days (Gcore's cue), with words for screen readers. */
export function ExpiringMark({ label }: { label: string }) {
  return (
    <span className="expiring-mark" title={label} role="img" aria-label={label}>
      !
    </span>
  );
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const dateFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });
const dateTimeFmt = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });

export function relative(iso: string, now = Date.now()): string {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['year', 365 * 864e5],
    ['month', 30 * 864e5],
    ['day', 864e5],
    ['hour', 36e5],
    ['minute', 6e4],
  ];
  for (const [unit, ms] of units) if (abs >= ms) return rtf.format(Math.round(diff / ms), unit);
  return diff >= 0 ? 'in a moment' : 'just now';
}

/** "1 request", "2 requests", "1,448 requests". */
export const requests = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? 'request' : 'requests'}`;
export const formatDate = (iso: string) => dateFmt.format(new Date(iso));
export const formatDateTime = (iso: string) => dateTimeFmt.format(new Date(iso));

/** A date as words ("in 3 days"), the exact time on hover and for screen readers. */
export function When({ iso, empty = '—', mode = 'relative' }: { iso: string | null | undefined; empty?: string; mode?: 'relative' | 'date' }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {mode === 'date' ? formatDate(iso) : relative(iso)}
    </time>
  );
}

/** Copy text to the clipboard, saying so where screen readers hear it. */
export function CopyButton({ text, label = 'Copy', variant = 'secondary', onCopied, size = 'md' }: { text: string; label?: string; variant?: ButtonProps['variant']; onCopied?: () => void; size?: 'sm' | 'md' }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = setTimeout(() => setState('idle'), 2500);
    return () => clearTimeout(t);
  }, [state]);
  return (
    <>
      <Button
        variant={variant}
        size={size}
        icon={state === 'copied' ? 'check' : 'copy'}
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(text);
            setState('copied');
            onCopied?.();
          } catch {
            setState('failed');
          }
        }}
      >
        {state === 'copied' ? 'Copied' : label}
      </Button>
      <span className="sr-only" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'The browser refused the clipboard: select the text and copy it by hand' : ''}
      </span>
    </>
  );
}

/**
 * A modal dialog on the native <dialog> element: the browser keeps focus inside, makes the
 * page behind it inert, closes it on Escape and returns focus afterwards — with no injected
 * <style> element, which the console's strict Content-Security-Policy would refuse.
 */
export function Dialog({ title, onClose, children, footer, wide, role }: { title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean; role?: 'alertdialog' }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) {
      d.showModal();
      // showModal() focuses the first control (the close button); React's autoFocus ran before it, so
      // move the focus to the control that asks for it (a confirmation's Cancel: the safe choice).
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`dialog ${wide ? 'dialog-wide' : ''}`}
      aria-labelledby={`${id}-title`}
      role={role}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={`${id}-title`}>{title}</h2>
        <button type="button" className="icon-btn" onClick={onClose} aria-label="Close">
          <Icon name="close" />
        </button>
      </div>
      <div className="dialog-body">{children}</div>
      {footer && <div className="dialog-foot">{footer}</div>}
    </dialog>
  );
}

/** "Are you sure?" naming the thing, with the destructive action on the right. */
export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onClose, busy, errors = [] }: { title: string; children: ReactNode; confirmLabel: string; onConfirm: () => void; onClose: () => void; busy?: boolean; errors?: ApiError[] }) {
  return (
    <Dialog
      title={title}
      onClose={onClose}
      role="alertdialog"
      footer={
        <>
          <Button onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button variant="danger" onClick={onConfirm} busy={busy}>
            {confirmLabel}
          </Button>
        </>
      }
    >
      {children}
      <ErrorList errors={errors} />
    </Dialog>
  );
}

export function PageHeader({ title, description, actions, back }: { title: ReactNode; description?: ReactNode; actions?: ReactNode; back?: ReactNode }) {
  return (
    <header className="page-head">
      {back}
      <div className="page-head-row">
        <div>
          <h1>{title}</h1>
          {description && <p className="page-desc">{description}</p>}
        </div>
        {actions && <div className="page-actions">{actions}</div>}
      </div>
    </header>
  );
}

export function Card({ title, children, actions, className }: { title?: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`card ${className ?? ''}`}>
      {(title || actions) && (
        <div className="card-head">
          {title && <h2>{title}</h2>}
          {actions}
        </div>
      )}
      <div className="card-body">{children}</div>
    </section>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function EmptyState({ title, children, action, icon = 'key' }: { title: string; children: ReactNode; action?: ReactNode; icon?: IconName }) {
  return (
    <div className="empty">
      <div className="empty-icon">
        <Icon name={icon} size={28} />
      </div>
      <h2>{title}</h2>
      <div className="empty-text">{children}</div>
      {action}
    </div>
  );
}

/** What a page shows when the API refuses it or the object does not exist (never a crash). */
export function Unavailable({ errors }: { errors: ApiError[] }) {
  const forbidden = errors.some((e) => e.code === 'FORBIDDEN');
  return (
    <EmptyState title={forbidden ? 'Not available to your role' : 'Something went wrong'} icon="alert">
      <p>{forbidden ? 'Your role does not allow this page. Ask an owner or admin of your account.' : errors.map((e) => e.message).join(' ')}</p>
    </EmptyState>
  );
}
