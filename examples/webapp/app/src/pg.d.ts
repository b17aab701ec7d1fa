// The few parts of `pg` this app uses. `pg` ships no types and @types/pg would be a second
// dependency to vendor; these declarations follow pg 8's documented API.
declare module 'pg' {
  import { EventEmitter } from 'node:events';

  export interface ConnectionConfig {
    connectionString?: string;
    /** Milliseconds to wait for a connection (DNS, TCP, startup) before failing. */
    connectionTimeoutMillis?: number;
    /** Client-side limit on one query, in milliseconds. */
    query_timeout?: number;
    application_name?: string;
  }

  export interface PoolConfig extends ConnectionConfig {
    max?: number;
    idleTimeoutMillis?: number;
  }

  export interface QueryResult<R> {
    rows: R[];
    rowCount: number | null;
  }

  export interface Queryable {
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
  }

  export class Client extends EventEmitter implements Queryable {
    constructor(config?: ConnectionConfig);
    connect(): Promise<void>;
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
  }

  export interface PoolClient extends Queryable {
    release(destroy?: boolean | Error): void;
  }

  export class Pool extends EventEmitter implements Queryable {
    constructor(config?: PoolConfig);
    connect(): Promise<PoolClient>;
    query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
    end(): Promise<void>;
  }

  const pg: { Client: typeof Client; Pool: typeof Pool };
  export default pg;
}
