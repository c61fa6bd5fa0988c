/**
 * The stream's safe offsets: the exactly-once argument in one place.
 *
 * A window's readings live only in memory until the window closes and is written. So the
 * offset committed for a partition (where a restarted instance starts reading) may not pass the
 * oldest reading of a window still open: a restart then re-reads exactly what the lost state
 * held, and the rows already written are keyed, so the replay rewrites nothing.
 *
 * Per partition this keeps the next offset to read and, for every open window that took a
 * reading of it, the smallest such offset. Offsets grow within a partition, so the window
 * opened first holds the smallest offset, unless a lower offset reached an existing window
 * (a re-read after a rebalance): then that partition is marked and scanned in full.
 */
export interface WindowOrigin {
  partitionKey: string;
  topic: string;
  partition: number;
  minOffset: number;
}

export class SafeOffsets {
  /** Window key -> where its readings came from. */
  private readonly origins = new Map<string, WindowOrigin>();
  /** The same origins per partition, in creation order. */
  private readonly byPartition = new Map<string, { origins: Map<string, WindowOrigin>; disordered: boolean }>();
  /** Next offset per partition (last processed + 1). */
  private readonly next = new Map<string, { topic: string; partition: number; offset: number }>();

  /** A reading at `offset` of the partition went into the window `windowKey`. */
  addReading(windowKey: string, partitionKey: string, topic: string, partition: number, offset: number): void {
    let entry = this.byPartition.get(partitionKey);
    if (!entry) this.byPartition.set(partitionKey, (entry = { origins: new Map(), disordered: false }));
    const origin = this.origins.get(windowKey);
    if (!origin) {
      const created = { partitionKey, topic, partition, minOffset: offset };
      this.origins.set(windowKey, created);
      entry.origins.set(windowKey, created);
    } else if (offset < origin.minOffset) {
      origin.minOffset = offset;
      entry.disordered = true;
    }
  }

  /** The window closed (and is being written): it no longer holds its partition back. Returns where it came from. */
  closeWindow(windowKey: string): WindowOrigin | undefined {
    const origin = this.origins.get(windowKey);
    if (!origin) return undefined;
    this.origins.delete(windowKey);
    this.byPartition.get(origin.partitionKey)?.origins.delete(windowKey);
    return origin;
  }

  /** The partition has been read up to `lastOffset`. */
  advance(partitionKey: string, topic: string, partition: number, lastOffset: number): void {
    this.next.set(partitionKey, { topic, partition, offset: lastOffset + 1 });
  }

  /** The partition's next offset to read (what it has read, not what is safe), if any. */
  nextOf(partitionKey: string): { topic: string; partition: number; offset: number } | undefined {
    return this.next.get(partitionKey);
  }

  /** The offset to commit: the next one to read, held back to the oldest reading of an open window. */
  safeOffset(partitionKey: string): number {
    let offset = this.next.get(partitionKey)?.offset ?? 0;
    const entry = this.byPartition.get(partitionKey);
    if (!entry) return offset;
    for (const origin of entry.origins.values()) {
      if (origin.minOffset < offset) offset = origin.minOffset;
      if (!entry.disordered) break;
    }
    return offset;
  }
}
