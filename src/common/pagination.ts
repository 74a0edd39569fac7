import { ArgsType, ClassType, Directive, Field, Int, ObjectType } from 'type-graphql';
import { badInput } from '../errors';
import { isId } from './ids';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

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

  @Field(() => String, { nullable: true, description: 'The first edge\'s cursor; null on an empty page' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

export interface Page<T> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
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
  class ConnectionType implements Page<T> {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [nodeType])
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Matching items across all pages' })
    totalCount!: number;
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

/** Build a page from rows fetched with LIMIT first + 1. */
export function toPage<T extends { id: string }>(rows: T[], first: number, totalCount: number): Page<T> {
  const nodes = rows.slice(0, first);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
  return {
    edges,
    nodes,
    totalCount,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: false,
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
  };
}
