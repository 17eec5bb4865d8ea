import type { TransportConfig } from "./config.js";
import { TransportError } from "./errors.js";
import type { Transport } from "./transport.js";

/** What a builder gets: the address to take and config overrides. */
export interface TransportBuildOptions {
  /** The new endpoint's address (agent id). */
  address: string;
  /** Overrides of the registry's default config. */
  config?: Partial<TransportConfig>;
  /** Transport-specific settings (a URL, a shared-memory segment, ...). */
  [setting: string]: unknown;
}

/** Makes a transport of one kind. */
export type TransportBuilder = (options: TransportBuildOptions) => Transport | Promise<Transport>;

/**
 * Transports by name: register a builder once ("in-process", "websocket", ...), create
 * endpoints by name where the kind is configuration. Usable without any DI container.
 */
export class TransportRegistry {
  readonly #builders = new Map<string, TransportBuilder>();
  readonly #defaults: Partial<TransportConfig>;

  /** `defaults` is merged under each `create`'s config. */
  constructor(defaults: Partial<TransportConfig> = {}) {
    this.#defaults = defaults;
  }

  /** Registers `builder` under `name`, replacing any earlier one. Returns this, for chaining. */
  register(name: string, builder: TransportBuilder): this {
    this.#builders.set(name, builder);
    return this;
  }

  /** Whether a builder is registered under `name`. */
  has(name: string): boolean {
    return this.#builders.has(name);
  }

  /** Registered names, in registration order. */
  names(): string[] {
    return [...this.#builders.keys()];
  }

  /** A new transport of kind `name`. Rejects with `NotAvailable` naming the known kinds for an unknown name. */
  async create(name: string, options: TransportBuildOptions): Promise<Transport> {
    const builder = this.#builders.get(name);
    if (builder === undefined) {
      const known = this.names().join(", ") || "none";
      throw new TransportError("NotAvailable", `no transport named "${name}" is registered (registered: ${known})`);
    }
    return builder({ ...options, config: { ...this.#defaults, ...options.config } });
  }
}
