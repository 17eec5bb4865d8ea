import type { TransportConfig } from "./config.js";
import { TransportError } from "./errors.js";
import type { Transport } from "./transport.js";

/** What `TransportRegistry.connect` takes besides the URL. */
export interface ConnectOptions {
  /** This endpoint's address (its agent id). */
  id: string;
  /**
   * Config over the registry's defaults. Transport-specific settings ride along (e.g. the
   * WebSocket client's `retryAttempts`, `heartbeatIntervalMs`); a transport ignores what is not its own.
   */
  config?: Partial<TransportConfig> & Record<string, unknown>;
  /** A credential for transports that authenticate (WebSocket: sent as `authorization: Bearer <token>`). */
  token?: string;
}

/** Opens an endpoint for one URL scheme; `url` is parsed, `options.config` already merged with the defaults. */
export type TransportConnector = (url: URL, options: ConnectOptions) => Transport | Promise<Transport>;

/**
 * Transports by URL scheme: a connector per scheme (`inproc`, `ws`, `wss`, `shm`, `nats`, ...),
 * so the kind of a transport is configuration — a URL — rather than code. Usable without any DI
 * container (see `createTransportRegistry`, and `createNodeTransportRegistry` in Node).
 * ```ts
 * const registry = createTransportRegistry();
 * const transport = await registry.connect("inproc://demo", { id: "alice" });
 * ```
 */
export class TransportRegistry {
  readonly #connectors = new Map<string, TransportConnector>();
  readonly #defaults: Partial<TransportConfig> & Record<string, unknown>;

  /** `defaults` is merged under each `connect`'s config. */
  constructor(defaults: Partial<TransportConfig> & Record<string, unknown> = {}) {
    this.#defaults = defaults;
  }

  /** Registers `connector` for `scheme` (without the colon), replacing any earlier one. Returns this, for chaining. */
  register(scheme: string, connector: TransportConnector): this {
    this.#connectors.set(scheme.toLowerCase().replace(/:$/, ""), connector);
    return this;
  }

  /** Whether a connector is registered for `scheme`. */
  has(scheme: string): boolean {
    return this.#connectors.has(scheme.toLowerCase().replace(/:$/, ""));
  }

  /** Registered schemes, in registration order. */
  schemes(): string[] {
    return [...this.#connectors.keys()];
  }

  /**
   * A new endpoint `options.id` at `url`. Rejects with `InvalidAddress` for a malformed URL or
   * id, `NotAvailable` naming the known schemes for an unknown scheme, and whatever the
   * transport's own connect rejects with.
   */
  async connect(url: string | URL, options: ConnectOptions): Promise<Transport> {
    let parsed: URL;
    try {
      parsed = typeof url === "string" ? new URL(url) : url;
    } catch (error) {
      throw new TransportError("InvalidAddress", `not a transport URL: ${JSON.stringify(String(url))} (expected e.g. inproc://demo, ws://127.0.0.1:8080, shm://segment)`, { address: String(url) }, { cause: error });
    }
    if (typeof options?.id !== "string" || options.id.length === 0) {
      throw new TransportError("InvalidAddress", "connect needs an endpoint id (options.id), a non-empty string", { address: String(options?.id) });
    }
    const scheme = parsed.protocol.slice(0, -1).toLowerCase();
    const connector = this.#connectors.get(scheme);
    if (connector === undefined) {
      const known = this.schemes().map((s) => `${s}://`).join(", ") || "none";
      throw new TransportError("NotAvailable", `no transport for ${scheme}:// URLs is registered (registered: ${known})`, { address: parsed.href });
    }
    return connector(parsed, { ...options, config: { ...this.#defaults, ...options.config } });
  }
}
