import { TransportError } from "../../transport/errors.js";
import type { Transport } from "../../transport/transport.js";

/** Settings of a `ConnectionPool`. */
export interface ConnectionPoolOptions<T extends Transport> {
  /** Opens the connection for `url`, e.g. `(url) => WebSocketTransport.client({ url, agentId }, config)`. */
  connect(url: string): Promise<T>;
  /** Most connections open at once (leased or idle). Default 16. */
  maxConnections?: number;
  /** An unleased connection closes after this many ms. Default 30,000. */
  idleTimeoutMs?: number;
}

/** A connection lent out by the pool; `release()` hands it back (idempotent). */
export interface Lease<T extends Transport> {
  readonly transport: T;
  release(): void;
}

interface Entry<T extends Transport> {
  url: string;
  ready: Promise<T>;
  transport: T | undefined;
  leases: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  lastUsedMs: number;
}

/**
 * One connection per remote URL, shared by every caller that leases it. Bounded: beyond
 * `maxConnections` the least recently used idle connection is closed to make room, and when
 * none is idle `acquire` rejects with `QueueFull`. A connection nobody leases closes after
 * `idleTimeoutMs`; one that closes on its own (gave up reconnecting) is dropped from the pool.
 */
export class ConnectionPool<T extends Transport> {
  readonly #connect: (url: string) => Promise<T>;
  readonly #max: number;
  readonly #idleMs: number;
  readonly #entries = new Map<string, Entry<T>>();
  #closed = false;

  constructor(options: ConnectionPoolOptions<T>) {
    this.#connect = options.connect;
    this.#max = options.maxConnections ?? 16;
    this.#idleMs = options.idleTimeoutMs ?? 30_000;
  }

  /** Connections open or opening. */
  get size(): number {
    return this.#entries.size;
  }

  /** Leases the connection to `url`, opening it if needed (concurrent callers share one attempt). */
  async acquire(url: string): Promise<Lease<T>> {
    if (this.#closed) throw TransportError.closed("connection pool");
    let entry = this.#entries.get(url);
    if (entry !== undefined && entry.transport !== undefined && entry.transport.state !== "open") {
      this.#forget(entry);
      entry = undefined;
    }
    if (entry === undefined) {
      if (this.#entries.size >= this.#max && !(await this.#evictIdle())) {
        throw new TransportError("QueueFull", `connection pool is full (${this.#max} connections, all leased)`);
      }
      entry = this.#open(url);
    }
    entry.leases++;
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    let transport: T;
    try {
      transport = await entry.ready;
    } catch (error) {
      entry.leases--;
      throw error;
    }
    let released = false;
    const leased = entry;
    return {
      transport,
      release: () => {
        if (released) return;
        released = true;
        this.#release(leased);
      },
    };
  }

  /** Closes every connection, leased or not. */
  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((entry) => this.#shut(entry)));
  }

  #open(url: string): Entry<T> {
    const entry: Entry<T> = { url, ready: undefined as never, transport: undefined, leases: 0, idleTimer: undefined, lastUsedMs: Date.now() };
    entry.ready = this.#connect(url).then(
      (transport) => {
        entry.transport = transport;
        transport.onPeerGone((event) => {
          if (event.address === undefined && transport.state !== "open") this.#forget(entry);
        });
        return transport;
      },
      (error: unknown) => {
        this.#forget(entry);
        throw error;
      },
    );
    this.#entries.set(url, entry);
    return entry;
  }

  #release(entry: Entry<T>): void {
    entry.leases--;
    entry.lastUsedMs = Date.now();
    if (entry.leases > 0 || this.#entries.get(entry.url) !== entry) return;
    entry.idleTimer = setTimeout(() => {
      this.#forget(entry);
      void this.#shut(entry);
    }, this.#idleMs);
  }

  /** Closes the least recently used idle connection; false when every connection is leased. */
  async #evictIdle(): Promise<boolean> {
    let oldest: Entry<T> | undefined;
    for (const entry of this.#entries.values()) {
      if (entry.leases === 0 && (oldest === undefined || entry.lastUsedMs < oldest.lastUsedMs)) oldest = entry;
    }
    if (oldest === undefined) return false;
    this.#forget(oldest);
    await this.#shut(oldest);
    return true;
  }

  #forget(entry: Entry<T>): void {
    clearTimeout(entry.idleTimer);
    entry.idleTimer = undefined;
    if (this.#entries.get(entry.url) === entry) this.#entries.delete(entry.url);
  }

  async #shut(entry: Entry<T>): Promise<void> {
    clearTimeout(entry.idleTimer);
    const transport = await entry.ready.catch(() => undefined);
    await transport?.close();
  }
}
