import { ArgsType, ClassType, Directive, Field, Int, ObjectType } from 'type-graphql';
import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { badInput } from '../errors';
import { isId } from './ids';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/**
 * totalCount counts at most this many items (as large code hosts cap their
 * counts); totalCountIsCapped says when there are more. Counting stops there, so
 * asking for totalCount costs the same on an account of 1,000 tokens as on one
 * of a million. (A cap of 10,000 cost 4–8 times a small account's listing in
 * bench/scale.mjs: reading 10,000 index entries is not free.)
 */
export const COUNT_CAP = 1_000;

/** first/after for every connection; extend it for a connection's own arguments. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: '0 to 100' })
  first?: number | null;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

/**
 * Relay's PageInfo, all four fields, marked `@shareable`: every Relay-style
 * subgraph defines its own, and federation composes a value type defined in
 * several subgraphs only when each marks it shareable and each can resolve
 * every field of it (a subgraph with `hasPreviousPage` would otherwise fail
 * composition on ours).
 */
@ObjectType({ description: 'Relay page information. Shareable: other subgraphs may define the same type.' })
@Directive('@shareable')
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field({ description: 'Always false: these connections page forward only (first/after), which the Relay spec allows' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor; null on an empty page" })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
  /** Counted on first use: a request that does not select totalCount sends no COUNT. */
  totalCount: PromiseLike<number>;
  totalCountIsCapped: PromiseLike<boolean>;
}

/**
 * totalCount and totalCountIsCapped from one count, run only when GraphQL
 * resolves one of them (it awaits a field's value through `then`), and at most
 * once. `count(limit)` counts at most `limit` rows.
 */
export function lazyCount(count: (limit: number) => Promise<number>): Pick<Page<never>, 'totalCount' | 'totalCountIsCapped'> {
  let counted: Promise<number> | undefined;
  const run = () => (counted ??= count(COUNT_CAP + 1));
  return {
    totalCount: {
      then: (ok, fail) =>
        run()
          .then((n) => Math.min(n, COUNT_CAP))
          .then(ok, fail),
    },
    totalCountIsCapped: {
      then: (ok, fail) =>
        run()
          .then((n) => n > COUNT_CAP)
          .then(ok, fail),
    },
  };
}

/**
 * The number of rows a query matches, counting no further than `limit`:
 * `SELECT COUNT(*) FROM (SELECT 1 … LIMIT limit)`, so the database stops
 * reading index entries at the limit. Inside a transaction, pass its manager.
 */
export async function countUpTo<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, limit: number, manager: EntityManager = qb.connection.manager): Promise<number> {
  const [sql, parameters] = qb.clone().select('1', 'one').orderBy().limit(limit).getQueryAndParameters();
  const rows: Array<{ n: number | string }> = await manager.query(`SELECT COUNT(*) AS n FROM (${sql}) counted`, parameters);
  return Number(rows[0].n);
}

/**
 * One page of a query paged by id (UUIDv7, so creation order): `qb` holds the filter; the page goes on
 * after the cursor's id in `order` (DESC: newest first), reads one row more than asked to know whether
 * more follow, and counts the filter, not the cursor, only if totalCount is selected (toPage).
 */
export async function pageById<T extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<T>,
  size: number,
  afterId: string | undefined,
  order: 'ASC' | 'DESC' = 'DESC',
): Promise<Page<T>> {
  const id = `${qb.alias}.id`;
  const counting = qb.clone();
  if (afterId) qb.andWhere(`${id} ${order === 'DESC' ? '<' : '>'} :afterId`, { afterId });
  const rows =
    size === 0
      ? []
      : await qb
          .orderBy(id, order)
          .take(size + 1)
          .getMany();
  return toPage(rows, size, (limit) => countUpTo(counting, limit));
}

/**
 * Relay connection types: `${name}Connection` and `${name}Edge`. Cursors are
 * opaque (base64url of the row id); ids are UUIDv7, so id order is creation
 * order and keyset pagination is stable under inserts.
 */
export function Connection<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => nodeType)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [nodeType])
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: `Matching items across all pages, counted up to ${COUNT_CAP.toLocaleString('en')}: see totalCountIsCapped` })
    totalCount!: number;

    @Field({ description: `true when more than ${COUNT_CAP.toLocaleString('en')} items match; totalCount is then ${COUNT_CAP.toLocaleString('en')}` })
    totalCountIsCapped!: boolean;
  }
  return ConnectionType;
}

export const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');

export function decodeCursor(cursor: string | null | undefined): string | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const id = cursor.length <= 64 ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!isId(id)) throw badInput('after', 'is not a cursor returned by this connection');
  return id;
}

export function validatePageSize(first: number | null | undefined): number {
  const n = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(n) || n < 0 || n > MAX_PAGE_SIZE) throw badInput('first', `must be between 0 and ${MAX_PAGE_SIZE}`);
  return n;
}

/** Build a page from rows fetched with LIMIT first + 1, and the page's count (run only if asked for). */
export function toPage<T extends { id: string }>(rows: T[], first: number, count: (limit: number) => Promise<number>): Page<T> {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    nodes,
    ...lazyCount(count),
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}
