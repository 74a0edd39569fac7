/**
 * What this replica knows to be the SHA-256 digest of a usable API token
 * secret, so that a client address locked for guessing (too many well-formed
 * unknown secrets) can still use a valid token, while its guesses keep being
 * refused without a look-up:
 *
 * - the digests of every ACTIVE, unexpired token (current secret, and the
 *   previous one during a regeneration's grace period), read in one query when
 *   a locked address first presents a digest this replica does not know, and
 *   again at most once per `refreshMs` after that;
 * - digests this replica verified since (a token looked up successfully) or
 *   issued itself (created or regenerated).
 *
 * A guess is not a stored digest, so it is never in the set: it cannot cause a
 * look-up by secret, and the re-read is one query per `refreshMs` at most,
 * whatever the number of guesses. The set is only built once an address is
 * locked here; until then it costs nothing. Entries of tokens revoked since
 * the last read only allow a look-up that then refuses (and counts) them.
 * Bounded: beyond `maxEntries` tokens, the most recently used are read.
 */
export class KnownSecrets {
  private digests = new Set<string>();
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;
  /** Digests added while a read is in flight: the read may have run before they were committed. */
  private addedWhileLoading: string[] = [];

  constructor(
    /** Reads the digests of the usable tokens (at most `limit`, most recently used first). */
    private readonly load: (limit: number) => Promise<string[]>,
    private readonly nowMs: () => number,
    readonly refreshMs = 10_000,
    readonly maxEntries = 100_000,
  ) {}

  /** A digest this replica verified or issued; ignored until the set is first read, and when it is full. */
  add(digest: string): void {
    if (this.loading && this.addedWhileLoading.length < this.maxEntries) this.addedWhileLoading.push(digest);
    if (this.loadedAt === Number.NEGATIVE_INFINITY || this.digests.size >= this.maxEntries) return;
    this.digests.add(digest);
  }

  /**
   * Is this the digest of a token that may be usable? Answered from memory; when the digest is not
   * there and the memory is older than `refreshMs` (or was never read), it is read again first (one
   * query, shared by every request waiting for it). A failed read answers false.
   */
  async knows(digest: string): Promise<boolean> {
    if (this.digests.has(digest)) return true;
    const age = this.nowMs() - this.loadedAt;
    // (A clock set back makes the age negative: read again rather than trust it.)
    if (age >= 0 && age < this.refreshMs) return false;
    try {
      await (this.loading ??= this.reload().finally(() => {
        this.loading = null;
      }));
    } catch {
      return false;
    }
    return this.digests.has(digest);
  }

  private async reload(): Promise<void> {
    const startedAt = this.nowMs();
    this.addedWhileLoading = [];
    try {
      const digests = new Set(await this.load(this.maxEntries));
      for (const d of this.addedWhileLoading) if (digests.size < this.maxEntries) digests.add(d);
      this.digests = digests;
    } finally {
      // A failed read is not retried before refreshMs either: a locked address never costs more than one query per period.
      this.loadedAt = startedAt;
      this.addedWhileLoading = [];
    }
  }

  /** How many digests are held (tests, metrics). */
  get size(): number {
    return this.digests.size;
  }
}
