import type { TransportConfig } from "../../transport/config.js";
import { TransportError } from "../../transport/errors.js";
import { InProcessTransport } from "./in-process-transport.js";

/**
 * A set of named in-process endpoints that can reach each other: the registry behind
 * `InProcessTransport`. Endpoints join with `connect(name)` and leave when they close.
 * Networks are independent, so tests and components can each have their own.
 */
export class InProcessNetwork {
  readonly #endpoints = new Map<string, InProcessTransport>();

  /**
   * A new endpoint named `address` on this network. Throws `InvalidAddress` for an empty
   * address and `AddressInUse` when an open endpoint already has it.
   */
  connect(address: string, config?: Partial<TransportConfig>): InProcessTransport {
    if (typeof address !== "string" || address.length === 0) {
      throw new TransportError("InvalidAddress", "an in-process address must be a non-empty string", { address: String(address) });
    }
    if (this.#endpoints.has(address)) {
      throw new TransportError("AddressInUse", `an endpoint named "${address}" is already on this network`, { address });
    }
    const transport = new InProcessTransport(address, this, config);
    this.#endpoints.set(address, transport);
    return transport;
  }

  /** The open endpoint at `address`, if any. */
  lookup(address: string): InProcessTransport | undefined {
    return this.#endpoints.get(address);
  }

  /** Addresses of the open endpoints, in the order they joined. */
  list(): string[] {
    return [...this.#endpoints.keys()];
  }

  /** Every open endpoint. @internal */
  endpoints(): IterableIterator<InProcessTransport> {
    return this.#endpoints.values();
  }

  /** Removes `transport` (called by its `close()`). @internal */
  unregister(transport: InProcessTransport): void {
    if (this.#endpoints.get(transport.localAddress) === transport) this.#endpoints.delete(transport.localAddress);
  }

  /** Closes every endpoint on the network. */
  async close(): Promise<void> {
    await Promise.all([...this.#endpoints.values()].map((endpoint) => endpoint.close()));
  }
}
