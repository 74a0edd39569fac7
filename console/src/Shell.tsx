import { useEffect, useState, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { Link, useLocation } from 'wouter';
import { graphql } from './graphql';
import { Icon, type IconName } from './icons';
import { isAdmin, ROLE_LABEL, signOut, useSession } from './session';
import { ExpiringMark } from './ui';

export const AlertsQuery = graphql(`
  query ShellAlerts {
    apiTokenAlerts { expiringSoonCount expiredCount }
    notifications(first: 0, unreadOnly: true) { totalCount }
  }
`);

interface NavItem {
  href: string;
  label: string;
  icon: IconName;
  admin?: boolean;
}

const NAV: NavItem[] = [
  { href: '/tokens', label: 'API tokens', icon: 'key' },
  { href: '/notifications', label: 'Notifications', icon: 'bell' },
  { href: '/users', label: 'Users', icon: 'users', admin: true },
  { href: '/policy', label: 'Account policy', icon: 'policy', admin: true },
  { href: '/scopes', label: 'Scopes catalog', icon: 'tag', admin: true },
  { href: '/webhooks', label: 'Webhooks', icon: 'webhook', admin: true },
  { href: '/audit', label: 'Audit log', icon: 'list', admin: true },
  { href: '/profile', label: 'Profile', icon: 'user' },
];

export function Shell({ children }: { children: ReactNode }) {
  const { session } = useSession();
  const [location] = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [alerts, refreshAlerts] = useQuery({ query: AlertsQuery, requestPolicy: 'cache-and-network' });
  useEffect(() => {
    setMenuOpen(false);
    // Tokens also change outside this page (other people, scripts, time): re-count on every page change.
    refreshAlerts({ requestPolicy: 'network-only' });
  }, [location, refreshAlerts]);
  if (!session) return null;
  const user = session.user;
  const admin = isAdmin(user.role);
  const expiring = alerts.data?.apiTokenAlerts.expiringSoonCount ?? 0;
  const unread = alerts.data?.notifications.totalCount ?? 0;
  const active = (href: string) => location === href || location.startsWith(`${href}/`);
  const item = (n: NavItem) => (
    <li key={n.href}>
      <Link href={n.href} className={`nav-link ${active(n.href) ? 'active' : ''}`} aria-current={active(n.href) ? 'page' : undefined}>
        <Icon name={n.icon} />
        <span>{n.label}</span>
        {n.href === '/tokens' && expiring > 0 && <ExpiringMark label={`${expiring} ${expiring === 1 ? 'token expires' : 'tokens expire'} within 7 days`} />}
        {n.href === '/notifications' && unread > 0 && (
          <span className="count" aria-label={`${unread} unread`}>
            {unread}
          </span>
        )}
      </Link>
    </li>
  );

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button type="button" className="icon-btn menu-btn" aria-expanded={menuOpen} aria-controls="sidebar" onClick={() => setMenuOpen((o) => !o)} aria-label="Menu">
          <Icon name="menu" />
        </button>
        <Link href="/tokens" className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="key" size={16} />
          </span>
          Tokengate
        </Link>
        <span className="account-name">{user.account.name}</span>
        <div className="topbar-end">
          <Link href="/notifications" className="icon-btn bell" aria-label={unread > 0 ? `Notifications, ${unread} unread` : 'Notifications'}>
            <Icon name="bell" />
            {unread > 0 && (
              <span className="bell-count" aria-hidden="true">
                {unread > 99 ? '99+' : unread}
              </span>
            )}
          </Link>
          <Link href="/profile" className="user-chip">
            <span className="avatar" aria-hidden="true">
              {initials(user.name)}
            </span>
            <span className="user-chip-text">
              <span className="user-name">{user.name}</span>
              <span className="user-role">{ROLE_LABEL[user.role]}</span>
            </span>
          </Link>
          <button type="button" className="btn btn-ghost btn-sm" onClick={() => void signOut()}>
            <Icon name="logout" size={16} />
            <span className="hide-narrow">Sign out</span>
            <span className="sr-only narrow-only">Sign out</span>
          </button>
        </div>
      </header>
      <nav id="sidebar" className={`sidebar ${menuOpen ? 'open' : ''}`} aria-label="Console">
        <ul>{NAV.filter((n) => !n.admin).slice(0, 2).map(item)}</ul>
        {admin && (
          <>
            <p className="nav-section">Administration</p>
            <ul>{NAV.filter((n) => n.admin).map(item)}</ul>
          </>
        )}
        <p className="nav-section">You</p>
        <ul>{NAV.filter((n) => n.href === '/profile').map(item)}</ul>
      </nav>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/);
  return ((parts[0]?.[0] ?? '') + (parts.length > 1 ? parts[parts.length - 1][0] : '')).toUpperCase() || '?';
}
