/**
 * WaitQueue is a FIFO of sessions waiting for a backend slot, bounded by the
 * listener's queueSize. A ring of slots with head/tail indices: no
 * `Array#shift`. Entries whose session has ended are skipped when popped.
 */
export class WaitQueue<T> {
  private ring: (T | undefined)[] = new Array(16);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count === this.ring.length) {
      const next: (T | undefined)[] = new Array(this.ring.length * 2);
      for (let i = 0; i < this.count; i++) next[i] = this.ring[(this.head + i) % this.ring.length];
      this.ring = next;
      this.head = 0;
    }
    this.ring[(this.head + this.count) % this.ring.length] = item;
    this.count++;
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.ring[this.head];
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
    return item;
  }
}
