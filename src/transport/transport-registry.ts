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
  /**
   * Every URL of a comma-separated list (`nats://h1:4222,h2:4222`; a part without a scheme takes
   * the first one's), for transports that fail over between servers; set by `connect`, the first is `url`.
   */
  urls?: URL[];
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
    const urls = parseUrls(url);
    const parsed = urls[0]!;
    if (typeof options?.id !== "string" || options.id.length === 0) {
      throw new TransportError("InvalidAddress", "connect needs an endpoint id (options.id), a non-empty string", { address: String(options?.id) });
    }
    const scheme = parsed.protocol.slice(0, -1).toLowerCase();
    const connector = this.#connectors.get(scheme);
    if (connector === undefined) {
      const known = this.schemes().map((s) => `${s}://`).join(", ") || "none";
      throw new TransportError("NotAvailable", `no transport for ${scheme}:// URLs is registered (registered: ${known})`, { address: parsed.href });
    }
    return connector(parsed, { ...options, urls, config: { ...this.#defaults, ...options.config } });
  }
}

/** One URL, or a comma-separated list of them sharing one scheme (a part without `scheme://` takes the first's). */
function parseUrls(url: string | URL): URL[] {
  if (typeof url !== "string") return [url];
  const parts = url.split(",").map((part) => part.trim());
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(parts[0] ?? "")?.[1];
  return parts.map((part) => {
    const text = scheme !== undefined && !part.includes("://") ? `${scheme}://${part}` : part;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch (error) {
      throw new TransportError("InvalidAddress", `not a transport URL: ${JSON.stringify(url)} (expected e.g. inproc://demo, ws://127.0.0.1:8080, shm://segment, nats://h1:4222,h2:4222)`, { address: url }, { cause: error });
    }
    if (scheme !== undefined && parsed.protocol !== `${scheme.toLowerCase()}:`) {
      throw new TransportError("InvalidAddress", `every URL of ${JSON.stringify(url)} must use ${scheme}://`, { address: url });
    }
    return parsed;
  });
}
