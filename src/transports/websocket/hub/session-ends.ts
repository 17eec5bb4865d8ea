import { envelopeIdAndSource } from "../../../protocol/envelope-bytes.js";
import type { StatsRecorder } from "../../../transport/stats.js";
import type { AgentConnection } from "./agent-connection.js";
import type { HubRouter } from "./hub-router.js";

/** How many ended sessions are remembered for their old holders at most. */
const MAX_REMEMBERED = 1024;

/**
 * What happens when a parked session ends without being resumed (its grace period ran out, its
 * buffer filled, or another connection took its id over): every message it held is dropped,
 * and its sender is told (one Undeliverable per message, so the sender's `messagesDropped`
 * counts it); a session that was taken over is remembered for a grace period, so its old
 * holder, coming back with its proof, learns why it cannot resume.
 * @internal
 */
export class SessionEnds {
  readonly #router: HubRouter;
  readonly #hubId: string;
  readonly #stats: StatsRecorder;
  readonly #rememberMs: number;
  readonly #remembered = new Map<string, { reason: string; untilMs: number }>();

  /** `stats` are the hub endpoint's: dropped messages count there too. */
  constructor(router: HubRouter, hubId: string, stats: StatsRecorder, rememberMs: number) {
    this.#router = router;
    this.#hubId = hubId;
    this.#stats = stats;
    this.#rememberMs = rememberMs;
  }

  /** `connection`'s session ended (`reason`): tell the senders of the messages it held. */
  dropped(connection: AgentConnection, reason: string): void {
    const session = connection.session;
    if (session === undefined) return;
    this.#stats.messagesDropped += session.unacked;
    for (const body of session.unacknowledged()) {
      const header = envelopeIdAndSource(body);
      // control (the hub's PeerGone and credit, an agent's Cancel) is link business: no notice
      if (header === undefined || header.control || header.source === this.#hubId) continue;
      const value = { messageId: header.id, destination: connection.agentId, code: "ConnectionError", reason };
      this.#router.tell(header.source, value, this.#hubId);
    }
  }

  /** Remembers why session `sessionId` ended, for its old holder. */
  remember(sessionId: string, reason: string): void {
    const now = Date.now();
    for (const [id, entry] of this.#remembered) {
      if (entry.untilMs > now && this.#remembered.size < MAX_REMEMBERED) break;
      this.#remembered.delete(id);
    }
    this.#remembered.set(sessionId, { reason, untilMs: now + this.#rememberMs });
  }

  /** Why session `sessionId` of `agentId` cannot resume, if it was taken over recently. */
  takenOver(sessionId: string, agentId: string): string | undefined {
    const entry = this.#remembered.get(sessionId);
    if (entry === undefined || entry.untilMs <= Date.now()) return undefined;
    return `cannot resume the session of "${agentId}": ${entry.reason}`;
  }
}
