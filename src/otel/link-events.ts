import type { Transport } from "../transport/transport.js";
import type { LinkChangeEvent } from "../transports/websocket/client.js";
import type { OtelSpan, SpanWatch } from "./otel-span.js";
import { LINK_EVENTS } from "./semantic-conventions.js";

/** A transport that reports changes of its link (the WebSocket client), seen structurally. */
interface LinkReporting {
  onLinkChange(listener: (event: LinkChangeEvent) => void): () => void;
}

function reportsLinks(transport: Transport): transport is Transport & LinkReporting {
  return typeof (transport as Partial<LinkReporting>).onLinkChange === "function";
}

/** The spans open on one transport: they hear its link's changes. */
class OpenSpans implements SpanWatch {
  readonly spans = new Set<OtelSpan>();

  delete(span: OtelSpan): void {
    this.spans.delete(span);
  }

  readonly onChange = (event: LinkChangeEvent): void => {
    if (this.spans.size === 0) return;
    const reason = event.reason;
    for (const span of this.spans) {
      const otel = span.otel;
      switch (event.state) {
        case "lost":
          otel.addEvent(LINK_EVENTS.lost, { "swarm.reason": reason });
          break;
        case "retrying":
          otel.addEvent(LINK_EVENTS.retry, { "swarm.reconnect.attempt": event.attempts, "swarm.reason": reason });
          break;
        case "regained":
          otel.addEvent(LINK_EVENTS.reconnected, { "swarm.reconnect.attempts": event.attempts, "swarm.session.resumed": event.resumed === true });
          if (event.resumed === true) otel.addEvent(LINK_EVENTS.resumed);
          break;
        case "gave-up":
          otel.addEvent(LINK_EVENTS.gaveUp, { "swarm.reconnect.attempts": event.attempts, "swarm.reason": reason });
          break;
      }
    }
  };
}

/**
 * Records link changes (lost, each failed reconnect attempt, reconnected, session resumed, gave
 * up) as events on every span still open on the transport: a call that waited through a
 * reconnect says so in its trace. One listener per transport, added with its first span.
 */
export class LinkEvents {
  readonly #byTransport = new WeakMap<Transport, OpenSpans | null>();

  /** Keeps `span` told of `transport`'s link changes until it ends (a no-op for transports without links). */
  watch(transport: Transport | undefined, span: OtelSpan): void {
    if (transport === undefined) return;
    let open = this.#byTransport.get(transport);
    if (open === undefined) {
      open = null;
      if (reportsLinks(transport)) {
        open = new OpenSpans();
        transport.onLinkChange(open.onChange);
      }
      this.#byTransport.set(transport, open);
    }
    if (open === null) return;
    open.spans.add(span);
    span.watchedBy(open);
  }
}
