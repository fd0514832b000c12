/** Shared by every empty ring; never written to (grow() replaces it before the first push). */
const EMPTY: unknown[] = [];

/**
 * Ring is a FIFO of references: a ring of slots with a head index and a count, never `Array#shift`. Its
 * storage is allocated on first use and grows by doubling (a power of two, so indices wrap with a mask):
 * most queues in warren are empty most of the time, and an idle connection's memory counts.
 */
export class Ring<T> {
  private slots: (T | undefined)[] = EMPTY as (T | undefined)[];
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.slots.length) this.grow();
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item;
    this.count++;
  }

  /** unshift puts `item` before every other entry (a header that must go first on a connection). */
  unshift(item: T): void {
    if (this.count === this.slots.length) this.grow();
    this.head = (this.head - 1) & (this.slots.length - 1);
    this.slots[this.head] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.count--;
    return item;
  }

  /** replaceHead puts `item` in place of the first entry (a partly written chunk's rest). */
  replaceHead(item: T): void {
    if (this.count > 0) this.slots[this.head] = item;
  }

  /** at returns the i-th entry from the head (0 is the head). */
  at(i: number): T | undefined {
    return i < 0 || i >= this.count ? undefined : this.slots[(this.head + i) & (this.slots.length - 1)];
  }

  clear(): void {
    if (this.count > 0) this.slots.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  private grow(): void {
    const next: (T | undefined)[] = new Array(Math.max(4, this.slots.length * 2));
    const mask = this.slots.length - 1;
    for (let i = 0; i < this.count; i++) next[i] = this.slots[(this.head + i) & mask];
    this.slots = next;
    this.head = 0;
  }
}
