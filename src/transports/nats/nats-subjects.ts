/**
 * Subjects one swarm uses on a NATS cluster, all under a prefix (see `NatsTuning.subjectPrefix`):
 *
 *   <prefix>.a.<agent>      an agent's inbox: unicast frames, Lookup requests, Credit
 *   <prefix>.all            broadcasts: every agent subscribes
 *   <prefix>.presence       Hello / Heartbeat / Goodbye of every agent
 *   <prefix>.ev.<subject>   native pub/sub events (our subject grammar is NATS's)
 *   <prefix>.js.<subject>   durable events, stored by the JetStream stream
 *
 * Agent ids are free-form strings; in a subject each character outside [A-Za-z0-9_-] is
 * written `~` + two or more hex digits + `~`, so any id maps to exactly one token.
 * @internal
 */
export class NatsSubjects {
  readonly prefix: string;
  readonly all: string;
  readonly presence: string;
  readonly #agent: string;
  readonly #event: string;
  readonly #durable: string;

  constructor(prefix: string) {
    this.prefix = prefix;
    this.all = `${prefix}.all`;
    this.presence = `${prefix}.presence`;
    this.#agent = `${prefix}.a.`;
    this.#event = `${prefix}.ev.`;
    this.#durable = `${prefix}.js.`;
  }

  /** The inbox subject of agent `id`. */
  agent(id: string): string {
    return this.#agent + encodeToken(id);
  }

  /** The NATS subject (or pattern) of our pub/sub subject (or pattern). */
  event(subject: string): string {
    return this.#event + subject;
  }

  /** Our pub/sub subject of a native event's NATS subject. */
  eventSubject(natsSubject: string): string {
    return natsSubject.slice(this.#event.length);
  }

  /** The NATS subject (or pattern) under which a durable event on `subject` is stored. */
  durable(subject: string): string {
    return this.#durable + subject;
  }

  /** Every durable subject: what the JetStream stream captures. */
  get durableAll(): string {
    return `${this.#durable}>`;
  }

  /** Our pub/sub subject of a stored event's NATS subject. */
  durableSubject(natsSubject: string): string {
    return natsSubject.slice(this.#durable.length);
  }
}

const SAFE = /^[A-Za-z0-9_-]+$/;

/** One NATS token for `id`: itself when it is safe, else with every other character escaped. */
export function encodeToken(id: string): string {
  if (SAFE.test(id)) return id;
  let out = "";
  for (const char of id) out += /[A-Za-z0-9_-]/.test(char) ? char : `~${char.codePointAt(0)!.toString(16)}~`;
  return out;
}
