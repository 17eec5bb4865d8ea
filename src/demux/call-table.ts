/**
 * A map from correlation id (a positive safe integer) to the exchange waiting for its replies:
 * open addressing with linear probing over a power-of-two table at most half full; a `Map`
 * cost a hash-table insert, delete and periodic rehash per call (~5% of an in-process call).
 * Deletion shifts later entries back, so there are no tombstones to sweep. Ids are handed out
 * sequentially, and slots by their low bits would pack the calls in flight into one long run
 * that every deletion walks, so ids are scattered by a multiplicative (Fibonacci) hash.
 * @internal
 */
export class CallTable<V> {
  #keys = new Float64Array(64); // 0 marks a free slot: ids are ≥ 1
  #values: (V | undefined)[] = new Array<V | undefined>(64);
  #mask = 63;
  #shift = 26; // 32 - log2(slots)
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: number): V | undefined {
    const keys = this.#keys;
    const mask = this.#mask;
    for (let i = this.#slot(id); ; i = (i + 1) & mask) {
      const key = keys[i]!;
      if (key === id) return this.#values[i];
      if (key === 0) return undefined;
    }
  }

  /** Adds or replaces the value of `id` (≥ 1). */
  set(id: number, value: V): void {
    if (2 * (this.#size + 1) > this.#keys.length) this.#grow();
    const keys = this.#keys;
    const mask = this.#mask;
    let i = this.#slot(id);
    while (keys[i] !== 0 && keys[i] !== id) i = (i + 1) & mask;
    if (keys[i] === 0) this.#size++;
    keys[i] = id;
    this.#values[i] = value;
  }

  delete(id: number): boolean {
    const keys = this.#keys;
    const values = this.#values;
    const mask = this.#mask;
    let hole = this.#slot(id);
    while (keys[hole] !== id) {
      if (keys[hole] === 0) return false;
      hole = (hole + 1) & mask;
    }
    // Shift back every later entry of the run that may sit in the hole (its home slot is not
    // cyclically between the hole and itself), so lookups never meet a gap before their key.
    for (let j = (hole + 1) & mask; keys[j] !== 0; j = (j + 1) & mask) {
      const home = this.#slot(keys[j]!);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        keys[hole] = keys[j]!;
        values[hole] = values[j];
        hole = j;
      }
    }
    keys[hole] = 0;
    values[hole] = undefined;
    this.#size--;
    return true;
  }

  /** The values, in no particular order (a copy: the table may change while it is used). */
  values(): V[] {
    const out: V[] = [];
    for (let i = 0; i < this.#keys.length; i++) if (this.#keys[i] !== 0) out.push(this.#values[i]!);
    return out;
  }

  #slot(id: number): number {
    return Math.imul(id >>> 0, 0x9e3779b1) >>> this.#shift;
  }

  #grow(): void {
    const keys = this.#keys;
    const values = this.#values;
    this.#keys = new Float64Array(keys.length * 2);
    this.#values = new Array<V | undefined>(keys.length * 2);
    this.#mask = keys.length * 2 - 1;
    this.#shift--;
    this.#size = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.set(keys[i]!, values[i]!);
  }
}
