/**
 * Series per agent with bounded cardinality: an agent gets a label of its own (its id) while
 * fewer than `max` agents have one, and keeps it while it stays; the rest share "other". Counter
 * values are accumulated from each agent's readings, so a label's counter never goes back: not
 * when an agent reconnects (its own counts restart), nor when agents move in or out of "other".
 * A label whose agent left disappears (its series ends, as Prometheus expects of a target that
 * went away). Pure bookkeeping: fed readings, it gives totals.
 */

/** The label of the agents past the cap. */
export const OTHER_AGENTS = "other";

export class CappedSeries<K extends string> {
  readonly #max: number;
  readonly #fields: readonly K[];
  /** agent id → its label (its id, or "other") */
  readonly #labels = new Map<string, string>();
  readonly #own = new Set<string>();
  /** agent id → its readings at the last update */
  readonly #last = new Map<string, Record<K, number>>();
  /** label → accumulated counters */
  readonly #totals = new Map<string, Record<K, number>>();

  constructor(max: number, fields: readonly K[]) {
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`a series cap must be an integer >= 0, got ${String(max)}`);
    this.#max = max;
    this.#fields = fields;
  }

  /** The label of `agent` (after `update` saw it). */
  labelOf(agent: string): string {
    return this.#labels.get(agent) ?? OTHER_AGENTS;
  }

  /**
   * Takes the current readings of the agents there are now (a counter that went down restarted
   * from 0); returns the accumulated counters per label.
   */
  update(readings: Iterable<{ readonly id: string; readonly values: Readonly<Record<K, number>> }>): ReadonlyMap<string, Readonly<Record<K, number>>> {
    const now = [...readings];
    const seen = new Set(now.map((reading) => reading.id));
    // departures first: a label freed now goes to the next agent not yet labelled
    for (const [id, label] of [...this.#labels]) {
      if (seen.has(id)) continue;
      this.#labels.delete(id);
      this.#last.delete(id);
      if (this.#own.delete(id)) this.#totals.delete(label);
    }
    for (const { id, values } of now) {
      let label = this.#labels.get(id);
      if (label === undefined) {
        label = this.#own.size < this.#max ? id : OTHER_AGENTS;
        this.#labels.set(id, label);
        if (label === id) this.#own.add(id);
      }
      let totals = this.#totals.get(label);
      if (totals === undefined) this.#totals.set(label, (totals = this.#zero()));
      const last = this.#last.get(id);
      for (const field of this.#fields) {
        const reading = values[field];
        const before = last?.[field] ?? 0;
        totals[field] += reading >= before ? reading - before : reading;
      }
      this.#last.set(id, { ...values });
    }
    return this.#totals;
  }

  #zero(): Record<K, number> {
    const zero = {} as Record<K, number>;
    for (const field of this.#fields) zero[field] = 0;
    return zero;
  }
}
