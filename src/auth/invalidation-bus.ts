/*
 * The one path every "this credential changed" message takes, on one process
 * and across the fleet. A change is published after its transaction commits;
 * every subscriber on this process hears it at once (the token cache drops
 * entries, an in-process gateway forgets verdicts, the authenticator learns a
 * locked address), and a transport (src/fleet: Redis pub/sub) carries it to
 * every other tokens replica and gateway, where it is delivered to the same
 * subscribers. Without a transport it is what the service always did: local
 * invalidation, other processes bounded by their cache TTLs.
 */

/** What changed: the cached verdicts it touches are gone everywhere. */
export type CacheInvalidation =
  | { tokenId: string }
  | { userId: string }
  | { sessionId: string }
  | { accountId: string }
  | { all: true }
  /** An address locked for guessing API tokens until `until` (ms since epoch): the authenticators' fast path. */
  | { lockedAddress: string; until: number };

export type InvalidationKind = 'token' | 'user' | 'session' | 'account' | 'all' | 'address';

export function kindOf(change: CacheInvalidation): InvalidationKind {
  if ('tokenId' in change) return 'token';
  if ('userId' in change) return 'user';
  if ('sessionId' in change) return 'session';
  if ('accountId' in change) return 'account';
  if ('lockedAddress' in change) return 'address';
  return 'all';
}

/** Where a message came from: this process, or another one through the transport. */
export type Origin = 'local' | 'remote';
export type InvalidationListener = (change: CacheInvalidation, origin: Origin) => void;

/** Carries published changes to the other processes (fire and forget: it must never fail or slow a change). */
export interface InvalidationTransport {
  send(change: CacheInvalidation): void;
}

export class InvalidationBus {
  private readonly listeners = new Set<InvalidationListener>();
  private transport: InvalidationTransport | null = null;

  /** A change this process committed: subscribers here at once, then the other processes. */
  publish(change: CacheInvalidation): void {
    this.deliver(change, 'local');
    this.transport?.send(change);
  }

  /** A change another process published (from the transport): subscribers here, never sent on again. */
  receive(change: CacheInvalidation): void {
    this.deliver(change, 'remote');
  }

  /** Returns the unsubscribe. */
  subscribe(listener: InvalidationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Attach the fleet transport (one at most); null detaches it. */
  connect(transport: InvalidationTransport | null): void {
    this.transport = transport;
  }

  private deliver(change: CacheInvalidation, origin: Origin): void {
    for (const listener of this.listeners) {
      try {
        listener(change, origin);
      } catch {
        // A listener's failure must not undo or fail the change that was just committed.
      }
    }
  }
}

/** Is this a well-formed message (from the wire: anything else is dropped)? */
export function isInvalidation(value: unknown): value is CacheInvalidation {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  const str = (k: string) => typeof v[k] === 'string' && (v[k] as string).length > 0 && (v[k] as string).length <= 128;
  if (keys.length === 1) return str('tokenId') || str('userId') || str('sessionId') || str('accountId') || v.all === true;
  return keys.length === 2 && str('lockedAddress') && typeof v.until === 'number' && Number.isFinite(v.until);
}
