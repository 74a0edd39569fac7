import type { Logger as TypeOrmLogger, QueryRunner } from 'typeorm';
import type { Logger } from 'pino';

/**
 * TypeORM logger that counts every SQL statement (the benchmarks and the
 * "constant number of statements" tests read the count) and sends slow or
 * failed statements to pino. Parameters are never logged: they can hold
 * password hashes and token digests.
 */
export class CountingQueryLogger implements TypeOrmLogger {
  count = 0;
  /** The last statements' SQL text (never parameters), for tests and diagnostics. */
  readonly recent: string[] = [];
  /**
   * Sees every statement with its parameters, in memory only (the query-plan
   * test runs EXPLAIN on what the service really sends). Unset by default;
   * nothing here writes parameters anywhere.
   */
  onStatement?: (sql: string, parameters: readonly unknown[] | undefined) => void;
  constructor(private readonly logger: Logger) {}

  private remember(query: string): void {
    this.count += 1;
    this.recent.push(query);
    if (this.recent.length > 200) this.recent.shift();
  }

  logQuery(query: string, parameters?: unknown[]): void {
    this.remember(query);
    this.onStatement?.(query, parameters);
    if (this.logger.isLevelEnabled('trace')) this.logger.trace({ sql: query }, 'sql');
  }
  logQueryError(error: string | Error, query: string): void {
    this.remember(query);
    this.logger.warn({ sql: query, err: typeof error === 'string' ? { message: error } : { message: error.message } }, 'sql failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ sql: query, ms: time }, 'slow sql');
  }
  logSchemaBuild(message: string): void {
    this.logger.debug({ schema: message }, 'schema');
  }
  logMigration(message: string): void {
    this.logger.info({ migration: message }, 'migration');
  }
  log(level: 'log' | 'info' | 'warn', message: unknown, _queryRunner?: QueryRunner): void {
    if (level === 'warn') this.logger.warn({ typeorm: String(message) }, 'typeorm');
    else this.logger.debug({ typeorm: String(message) }, 'typeorm');
  }
}
