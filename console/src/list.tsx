import { useMemo, type ReactNode } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { Icon } from './icons';
import { Button } from './ui';

/*
 * The scaffolding every list page shares (tokens, users, scopes, webhooks and their deliveries, the audit
 * log): filters kept in the URL, a table that turns into labelled cards at phone width, and a pager.
 */

/** Filters live in the URL: shareable, and Back works. Changing a filter starts again from the first page. */
export function useUrlFilters() {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = useMemo(() => new URLSearchParams(search), [search]);
  const set = (changes: Record<string, string | null>, opts: { replace?: boolean } = {}) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!('after' in changes)) next.delete('after');
    const qs = next.toString();
    navigate(`${location}${qs ? `?${qs}` : ''}`, { replace: opts.replace });
  };
  return { params, set };
}

export interface Column<T> {
  /** The header, and the label each cell carries at phone width. */
  label: string;
  cell: (row: T) => ReactNode;
  /** An actions column: its header is for screen readers only and its cells carry no label. */
  actions?: boolean;
  className?: string;
  /** A shorter label for the phone layout than the header. */
  short?: string;
}

/** A table with a header row; at phone width each row becomes a card whose cells are labelled (data-label). */
/**
 * `busy`: a newer answer is on its way (a filter or the page changed) and these rows are the previous one's. The table
 * says so (aria-busy, dimmed) rather than pass off rows that may not match what was asked.
 */
export function DataTable<T>({ columns, rows, rowKey, caption, className, rowData, busy = false }: { columns: Array<Column<T>>; rows: readonly T[]; rowKey: (row: T) => string; caption?: string; className?: string; rowData?: (row: T) => Record<string, string>; busy?: boolean }) {
  return (
    <div className="table-wrap" aria-busy={busy}>
      <table className={`table ${className ?? ''}`}>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" key={c.label}>
                {c.actions ? <span className="sr-only">{c.label}</span> : c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} {...rowData?.(row)}>
              {columns.map((c) =>
                c.actions ? (
                  <td key={c.label} className={`cell-actions ${c.className ?? ''}`}>
                    {c.cell(row)}
                  </td>
                ) : (
                  <td key={c.label} data-label={c.short ?? c.label} className={c.className}>
                    {c.cell(row)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

interface PagerButton {
  label: string;
  disabled: boolean;
  onClick: () => void;
}

/** How many there are, and the way back and forward over a connection. */
export function Pager({ summary, back, forward, live }: { summary: ReactNode; back: PagerButton; forward: PagerButton; live?: boolean }) {
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted" aria-live={live ? 'polite' : undefined}>
        {summary}
      </span>
      <div className="pager-buttons">
        {[back, forward].map((b) => (
          <Button key={b.label} size="sm" disabled={b.disabled} onClick={b.onClick}>
            {b.label}
          </Button>
        ))}
      </div>
    </nav>
  );
}

/** The link above a page's title back to the list it belongs to. */
export function BackLink({ href, children }: { href: string; children: ReactNode }) {
  return (
    <Link href={href} className="back-link">
      <Icon name="arrowLeft" size={16} /> {children}
    </Link>
  );
}

/** One filter of a list: a labelled select whose value is kept in the URL by the page. */
export function FilterSelect({ id, label, value, onChange, children }: { id: string; label: string; value: string; onChange: (value: string) => void; children: ReactNode }) {
  return (
    <div className="filter">
      <label htmlFor={id}>{label}</label>
      <select id={id} className="input" value={value} onChange={(e) => onChange(e.target.value)}>
        {children}
      </select>
    </div>
  );
}
