import type { Envelope } from "../../../generated/swarm/transport/v1/envelope.js";
import { Message } from "../../protocol/message.js";
import { TransportError } from "../../transport/errors.js";
import { socketErrorText } from "../../transport/socket-error-text.js";
import type { StatsRecorder } from "../../transport/stats.js";
import { readHelloAck, type Negotiated } from "./handshake.js";
import { Link } from "./link.js";
import { COMPRESSION_CAPABILITY, MAX_MESSAGE_SIZE_KEY } from "./options.js";
import { CloseCode, eventBytes, preferBytes, type SocketFactory } from "./socket.js";

/** What one connection attempt needs. */
export interface DialOptions {
  url: string;
  agentId: string;
  createSocket: SocketFactory;
  capabilities: string[];
  metadata: Record<string, string>;
  maxMessageSize: number;
  compressionThreshold: number;
  timeoutMs: number;
  stats: StatsRecorder;
}

/** A connected, handshaken link. */
export interface Dialled {
  link: Link;
  negotiated: Negotiated & { hubId: string };
  /**
   * Installs the connection's message listener. Frames that arrived after HelloAck and before
   * this call (the same TCP read can carry both) are replayed to it first, so none is lost.
   */
  handoff(listener: (event: { data: unknown }) => void): void;
}

/**
 * Opens a socket, sends Hello and waits for HelloAck, all within `timeoutMs`. Rejects with the
 * TransportError the hub's Goodbye names (VersionMismatch, AddressInUse, Unauthenticated),
 * `Timeout`, or `ConnectionError` (refused, dropped). Leaves no listener or timer behind.
 */
export function dial(options: DialOptions): Promise<Dialled> {
  return new Promise<Dialled>((resolve, reject) => {
    let socket: ReturnType<SocketFactory>;
    try {
      socket = options.createSocket(options.url);
    } catch (error) {
      reject(new TransportError("ConnectionError", `cannot open ${options.url}: ${String(error)}`, {}, { cause: error }));
      return;
    }
    preferBytes(socket);
    const link = new Link(socket, options.agentId, options.maxMessageSize, options.compressionThreshold, options.stats);
    let early: { data: unknown }[] | undefined;
    let opened = false;
    let socketError: unknown;
    const finish = (error: TransportError | undefined, result?: Dialled) => {
      clearTimeout(timer);
      socket.removeEventListener("open", onOpen);
      if (error === undefined) {
        early = [];
      } else {
        socket.removeEventListener("message", onMessage);
      }
      socket.removeEventListener("close", onClose);
      // the "error" listener stays: ws throws on an error event nobody listens to
      if (error === undefined) return resolve(result!);
      link.close(CloseCode.NORMAL, error.message);
      (socket.terminate ?? (() => undefined)).call(socket);
      reject(error);
    };
    const timer = setTimeout(() => finish(new TransportError("Timeout", `no handshake with ${options.url} within ${options.timeoutMs} ms`)), options.timeoutMs);
    function onOpen() {
      opened = true;
      try {
        link.writeControl(Message.hello(options.agentId, { capabilities: options.capabilities, metadata: options.metadata }));
      } catch (error) {
        finish(TransportError.from(error));
      }
    }
    const handoff = (listener: (event: { data: unknown }) => void) => {
      socket.removeEventListener("message", onMessage);
      for (const event of early ?? []) listener(event);
      early = undefined;
      socket.addEventListener("message", listener);
    };
    function onMessage(event: { data: unknown }) {
      if (early !== undefined) return void early.push(event);
      const bytes = eventBytes(event);
      let envelope: Envelope;
      try {
        if (bytes === undefined) throw new TransportError("SerializationError", "hub sent a text message");
        const bodies = link.bodies(bytes);
        if (bodies.length !== 1) throw new TransportError("SerializationError", "hub sent a batch before HelloAck");
        envelope = link.decodeBody(bodies[0]!);
        const negotiated = readHelloAck(envelope);
        const hubMax = Number(negotiated.metadata[MAX_MESSAGE_SIZE_KEY]);
        if (Number.isSafeInteger(hubMax) && hubMax > 0 && hubMax < link.outgoing.maxMessageSize) link.outgoing.maxMessageSize = hubMax;
        finish(undefined, { link, negotiated, handoff });
      } catch (error) {
        finish(TransportError.from(error));
      }
    }
    function onClose(event: { code: number; reason: string }) {
      // Never opened: the socket error (Node's ws passes it; browsers do not) says why in plain words.
      if (!opened && socketError !== undefined) {
        finish(new TransportError("ConnectionError", `cannot connect to ${options.url}: ${socketErrorText(socketError)}`, { address: options.url }, { cause: socketError }));
      } else {
        finish(closeError(options.url, event.code, event.reason));
      }
    }
    function onError(event: { error?: unknown } | undefined) {
      // "close" follows; it reports this cause
      socketError = event?.error ?? socketError;
    }
    socket.addEventListener("open", onOpen);
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", onClose);
    socket.addEventListener("error", onError);
  });
}

/** Whether compression was negotiated on this link. */
export function negotiatedCompression(negotiated: Negotiated): boolean {
  return negotiated.capabilities.includes(COMPRESSION_CAPABILITY);
}

/** The TransportError a close during the handshake (or of an established link) stands for. */
export function closeError(url: string, code: number, reason: string): TransportError {
  const text = `connection to ${url} closed (code ${code}${reason ? `: ${reason}` : ""})`;
  switch (code) {
    case CloseCode.TOO_LARGE:
      return new TransportError("MessageTooLarge", text);
    case CloseCode.VERSION_MISMATCH:
      return new TransportError("VersionMismatch", text);
    case CloseCode.ADDRESS_IN_USE:
      return new TransportError("AddressInUse", text);
    case CloseCode.UNAUTHENTICATED:
      return new TransportError("Unauthenticated", text);
    default:
      return new TransportError("ConnectionError", text);
  }
}
