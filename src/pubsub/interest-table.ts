import { SubjectPattern } from "./subject.js";

interface Interest {
  readonly matcher: SubjectPattern;
  readonly queue: string;
  /** Non-zero for a subscription that meters its publishers (overflow "block"). */
  readonly window: number;
  /** Its agent's broker delivers events to it natively (see NativePubSub). */
  readonly native: boolean;
}

/**
 * A flow-controlled lane of a subscriber: one of its subscriptions (`s:<id>`) or, for a queue
 * group, that group's members on the subscriber (`g:<group>`); a publisher keeps at most
 * `window` events unacknowledged on it.
 */
export interface MeteredLane {
  readonly key: string;
  readonly window: number;
}

/** A queue group member: an agent, and its lane when the group meters publishers there. */
export interface GroupMember {
  readonly agent: string;
  readonly lane: MeteredLane | undefined;
  /** The member's agent takes the group's events from the broker (native pub/sub). */
  readonly native: boolean;
}

/** Who to send an event on a subject to (shared between calls until the table changes: read only). */
export interface Targets {
  /** Agents with at least one plain (non-queue) matching subscription, each with the metered lanes among them. */
  readonly agents: ReadonlyMap<string, readonly MeteredLane[]>;
  /** The entries of `agents` with metered lanes. */
  readonly meteredAgents: readonly (readonly [string, readonly MeteredLane[]])[];
  /** How many entries of `agents` have no metered lane. */
  readonly unmeteredAgents: number;
  /** Those of `agents` with a matching plain subscription that is neither metered nor served by a broker. */
  readonly unbrokered: ReadonlySet<string>;
  /** Per queue group, the agents with a matching member (each agent once, in a stable order). */
  readonly groups: ReadonlyMap<string, readonly GroupMember[]>;
}


/** The lane key of subscription `id`. */
export function subscriptionLane(id: number): string {
  return `s:${id}`;
}

/** The lane key of queue group `group`. */
export function groupLane(group: string): string {
  return `g:${group}`;
}

/**
 * Other agents' subscriptions, as announced by their Subscribe messages: per agent, per
 * subscription id, a compiled pattern, a queue group and a flow-control window. Bounded by
 * what peers announce; an agent's entries go when it does.
 * @internal
 */
export class InterestTable {
  readonly #byAgent = new Map<string, Map<number, Interest>>();
  readonly #roundRobin = new Map<string, number>();
  // Targets per subject, until the table changes: subscriptions change rarely, publishes are
  // many, and working targets out matched every pattern and built two maps per publish.
  readonly #targets = new Map<string, Targets>();
  /** Most subscriptions remembered per agent; more are ignored (a hostile peer cannot grow this without bound). */
  static readonly MAX_PER_AGENT = 10_000;
  /** Subjects whose targets are remembered; past it the memory starts over. */
  static readonly MAX_CACHED_SUBJECTS = 1024;

  add(agent: string, id: number, pattern: string, queue: string, window = 0, native = false): void {
    let matcher: SubjectPattern;
    try {
      matcher = new SubjectPattern(pattern);
    } catch {
      return; // an invalid pattern from a peer is ignored
    }
    let interests = this.#byAgent.get(agent);
    if (interests === undefined) this.#byAgent.set(agent, (interests = new Map()));
    if (interests.size >= InterestTable.MAX_PER_AGENT && !interests.has(id)) return;
    interests.set(id, { matcher, queue, window, native });
    this.#targets.clear();
  }

  /** Forgets subscription `id` of `agent`; returns its lane key when it was metered. */
  remove(agent: string, id: number): string | undefined {
    const interests = this.#byAgent.get(agent);
    const interest = interests?.get(id);
    if (interests?.delete(id) && interests.size === 0) this.#byAgent.delete(agent);
    this.#targets.clear();
    return interest !== undefined && interest.window > 0 ? (interest.queue === "" ? subscriptionLane(id) : groupLane(interest.queue)) : undefined;
  }

  removeAgent(agent: string): void {
    if (this.#byAgent.delete(agent)) this.#targets.clear();
  }

  clear(): void {
    this.#byAgent.clear();
    this.#targets.clear();
  }

  /** Whether some agent has a subscription matching `subject`. */
  hasInterest(subject: string): boolean {
    for (const interests of this.#byAgent.values()) {
      for (const interest of interests.values()) if (interest.matcher.matches(subject)) return true;
    }
    return false;
  }

  /** Who gets an event on `subject`. The result is shared until the table changes: read it, do not change it. */
  targets(subject: string): Targets {
    let targets = this.#targets.get(subject);
    if (targets === undefined) {
      if (this.#targets.size >= InterestTable.MAX_CACHED_SUBJECTS) this.#targets.clear();
      this.#targets.set(subject, (targets = this.#compute(subject)));
    }
    return targets;
  }

  #compute(subject: string): Targets {
    const agents = new Map<string, MeteredLane[]>();
    const unbrokered = new Set<string>();
    const groups = new Map<string, GroupMember[]>();
    for (const [agent, interests] of this.#byAgent) {
      let joined: Map<string, GroupMember> | undefined;
      for (const [id, interest] of interests) {
        if (!interest.matcher.matches(subject)) continue;
        if (interest.queue === "") {
          let lanes = agents.get(agent);
          if (lanes === undefined) agents.set(agent, (lanes = []));
          if (interest.window > 0) lanes.push({ key: subscriptionLane(id), window: interest.window });
          else if (!interest.native) unbrokered.add(agent);
          continue;
        }
        joined ??= new Map();
        const member = joined.get(interest.queue);
        // the group meters when any of its members here does, with the smallest window
        const window = Math.min(member?.lane?.window ?? Infinity, interest.window > 0 ? interest.window : Infinity);
        const lane = window === Infinity ? undefined : { key: groupLane(interest.queue), window };
        const next = { agent, lane, native: interest.native };
        joined.set(interest.queue, next);
        if (member === undefined) {
          let members = groups.get(interest.queue);
          if (members === undefined) groups.set(interest.queue, (members = []));
          members.push(next);
        } else {
          const members = groups.get(interest.queue)!;
          members[members.indexOf(member)] = next;
        }
      }
    }
    const meteredAgents = [...agents].filter(([, lanes]) => lanes.length > 0);
    return { agents, meteredAgents, unmeteredAgents: agents.size - meteredAgents.length, unbrokered, groups };
  }

  /**
   * What a broker with native pub/sub delivers on `subject` (see NativePubSub): the matching
   * subscriptions that do not meter their publishers (plain ones each count; a queue group once).
   */
  nativeTargets(subject: string): { plain: number; groups: Set<string> } {
    let plain = 0;
    const groups = new Set<string>();
    for (const interests of this.#byAgent.values()) {
      for (const interest of interests.values()) {
        if (interest.window > 0 || !interest.native || !interest.matcher.matches(subject)) continue;
        if (interest.queue === "") plain++;
        else groups.add(interest.queue);
      }
    }
    return { plain, groups };
  }

  /** The next member index (0..count-1) of `group`, round robin. */
  pick(group: string, count: number): number {
    const next = this.#roundRobin.get(group) ?? 0;
    this.#roundRobin.set(group, next + 1);
    return next % count;
  }
}
