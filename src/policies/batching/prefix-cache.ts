/**
 * The shareable start of one request's prompt, as a sequence keeps it: consecutive segments named
 * by chained hashes (`hashes[i]` names every token from the prompt's start to `ends[i]`), one
 * entry per segment. A request without one has none (null), not an empty one.
 */
export interface SequencePrefix {
  readonly hashes: Float64Array;
  /** Tokens from the prompt's start to the end of each segment, increasing. */
  readonly ends: Float64Array;
}

/** A cached KV-cache block: full of prompt tokens whose prefix other prompts may share. */
export class PrefixBlock {
  /** Sequences holding it; 0: cached but free, in the eviction order. */
  refs = 1;
  prev: PrefixBlock | null = null;
  next: PrefixBlock | null = null;
  /** Evicted from accelerator memory to the host tier, where no sequence holds it (`refs` 0). */
  inHost = false;

  constructor(
    /** The hash of the segment holding the block's last token. */
    readonly hash: number,
    /** The block's position in the prompt: it covers tokens [index * block size, (index + 1) * block size). */
    readonly index: number,
  ) {}
}

/**
 * The cached blocks one sequence holds, in the order it took them: the first `count` of `blocks`.
 * The cache lends one to a sequence while it holds blocks and takes it back, emptied, when the
 * sequence lets go, so a run allocates only as many as sequences hold blocks at once: the list
 * keeps its room for the next (emptying an array by setting its length gives its room up, and
 * growing it again from nothing, per request, was a large share of the garbage a run made).
 */
export class HeldBlocks {
  /** The first `count` are held; the rest are room (undefined), so that no stale block stays reachable. */
  readonly blocks: (PrefixBlock | undefined)[] = [];
  count = 0;

  add(block: PrefixBlock): void {
    this.blocks[this.count++] = block;
  }

  /** The `i`-th block held (`i` below `count`). */
  at(i: number): PrefixBlock {
    return this.blocks[i] as PrefixBlock;
  }
}

/**
 * A tier's blocks under one segment hash, by position. The positions under one hash are those of
 * one segment's blocks, so few and close together: an array from the first position filed
 * (`base`) on finds one faster than a Map would, and a look-up reads one for every block of a
 * prompt on every replica a router compares.
 */
class Shelf {
  /** By position from `base` on; undefined where no block is filed. */
  private readonly blocks: (PrefixBlock | undefined)[] = [];
  /** Blocks filed. */
  count = 0;
  /**
   * Every position from `base` up to `base + filled` has a block: a router compares every
   * replica's run for every arrival, and most runs are a shelf's leading blocks, so `run` steps
   * over these at once rather than block by block.
   */
  private filled = 0;

  constructor(private base: number) {}

  get(index: number): PrefixBlock | undefined {
    const i = index - this.base;
    return i >= 0 ? this.blocks[i] : undefined;
  }

  set(block: PrefixBlock): void {
    let i = block.index - this.base;
    if (i < 0) {
      // Only a prompt that segments the same tokens otherwise files a block before the first.
      const before = new Array<PrefixBlock | undefined>(-i).fill(undefined);
      this.blocks.unshift(...before);
      this.base = block.index;
      this.filled = 0;
      i = 0;
    }
    const blocks = this.blocks;
    while (blocks.length < i) blocks.push(undefined);
    if (i === blocks.length) blocks.push(block);
    else blocks[i] = block;
    this.count++;
    if (i === this.filled) {
      let filled = i + 1;
      while (filled < blocks.length && blocks[filled] !== undefined) filled++;
      this.filled = filled;
    }
  }

  delete(index: number): void {
    const i = index - this.base;
    this.blocks[i] = undefined;
    this.count--;
    if (i < this.filled) this.filled = i;
  }

  /** The first position from `from` up to `stop` (`from` below it) with no block filed; `stop` if every one has one. */
  run(from: number, stop: number): number {
    const base = this.base;
    if (from < base) return from;
    let i = from - base;
    if (i < this.filled) {
      if (base + this.filled >= stop) return stop;
      i = this.filled;
    }
    const blocks = this.blocks;
    const end = Math.min(stop - base, blocks.length);
    while (i < end && blocks[i] !== undefined) i++;
    return base + i;
  }

  /** The blocks filed with their positions, for the cache's laws. */
  *entries(): IterableIterator<[number, PrefixBlock]> {
    for (let i = 0; i < this.blocks.length; i++) {
      const block = this.blocks[i];
      if (block !== undefined) yield [this.base + i, block];
    }
  }

  /** The law of `filled`, for the cache's laws: null when it holds. */
  checkFilled(): string | null {
    for (let i = 0; i < this.filled; i++)
      if (this.blocks[i] === undefined) return `position ${this.base + i} is counted filed and is not`;
    return null;
  }
}

/** A tier's blocks: by segment hash, then by position. */
type Tier = Map<number, Shelf>;

/**
 * The prefix cache of one replica, after vLLM V1's: full blocks of prompt tokens keyed by the
 * prefix they end, each shared (reference-counted) by the sequences using it. A block no sequence
 * holds stays cached, in least-recently-freed order, until a new allocation finds no free block
 * left and evicts the oldest. The scheduler keeps the free (uncached) blocks; this keeps the
 * cached ones.
 *
 * Block `b` of a prompt (tokens [b * size, (b + 1) * size)) is cacheable when it is full and ends
 * within the prompt's last segment; its key is the hash of the segment holding its last token
 * with `b`, so two prompts share it when their hashes agree there (they agree on every token up
 * to that segment's end, so on every token of the block and before it).
 *
 * With a host tier (KV offload), an evicted block moves to host memory rather than being lost,
 * and a later prompt may find it there and load it back.
 */
export class PrefixCache {
  /** Cached blocks by segment hash, then by position. */
  private readonly byHash: Tier = new Map();
  /** Cached blocks no sequence holds, oldest first: the next to evict. */
  private head: PrefixBlock | null = null;
  private tail: PrefixBlock | null = null;
  /** Cached blocks no sequence holds. */
  evictable = 0;
  /** Cached blocks in all. */
  cached = 0;
  /** Cached blocks given up so far to allocations that found no free block. */
  evictions = 0;
  /** What the last `lookup` found: the blocks, and how many of them no sequence held. */
  private readonly found: PrefixBlock[] = [];
  reviving = 0;
  /**
   * Counts the changes to what a `lookup` reads (which blocks are cached, in which tier, held or
   * not): a sequence waiting at the head of the queue for room is looked up again at every
   * iteration, and while neither it nor the cache changed, the last answer stands.
   */
  private version = 0;
  private lastPrefix: SequencePrefix | null = null;
  private lastLimit = 0;
  private lastVersion = -1;
  private lastFound = 0;
  /** Lists of held blocks no sequence has now, for `holder`. */
  private readonly spare: HeldBlocks[] = [];
  /**
   * The host tier: blocks evicted from accelerator memory, by segment hash then position, and in
   * the order they arrived, the next to drop first. A block is in one tier at a time: loading it
   * back takes it out of host memory, and a block cached again in accelerator memory drops its
   * host copy.
   */
  private readonly hostByHash: Tier = new Map();
  private hostHead: PrefixBlock | null = null;
  private hostTail: PrefixBlock | null = null;
  /** Blocks in host memory. */
  hosted = 0;
  /** Host blocks dropped to make room for newer ones. */
  hostEvictions = 0;
  /** Of the blocks the last `lookup` found, those in host memory. */
  fromHost = 0;

  /** `hostCapacity`: blocks the host tier holds; 0, no host tier: an evicted block is lost. */
  constructor(
    readonly blockSize: number,
    readonly hostCapacity = 0,
  ) {}

  /**
   * The leading cached blocks of a prompt, at most `limit`: how many in a row are cached. They
   * are not taken yet (see `acquire`); `reviving` counts those among them that would leave the
   * eviction order, `fromHost` those in host memory, which need accelerator blocks to load into.
   * A prefix's arrays must not change once it is looked up (a sequence's never do).
   */
  lookup(prefix: SequencePrefix, limit: number): number {
    if (prefix === this.lastPrefix && limit === this.lastLimit && this.version === this.lastVersion)
      return this.lastFound;
    const { hashes, ends } = prefix;
    const size = this.blockSize;
    const found = this.found;
    const host = this.hostCapacity > 0;
    let reviving = 0;
    let fromHost = 0;
    let b = 0;
    scan: for (let segment = 0; b < limit && segment < ends.length; segment++) {
      const stop = segmentStop(ends[segment], size, limit);
      if (b >= stop) continue;
      const shelf = this.byHash.get(hashes[segment]);
      const hostShelf = host ? this.hostByHash.get(hashes[segment]) : undefined;
      for (; b < stop; b++) {
        let block = shelf?.get(b);
        if (block === undefined) {
          block = hostShelf?.get(b);
          if (block === undefined) break scan;
          fromHost++;
        } else if (block.refs === 0) {
          reviving++;
        }
        found[b] = block;
      }
    }
    this.reviving = reviving;
    this.fromHost = fromHost;
    this.lastPrefix = prefix;
    this.lastLimit = limit;
    this.lastVersion = this.version;
    this.lastFound = b;
    return b;
  }

  /** An empty list for a sequence to keep the blocks it takes in, until `release` takes it back. */
  holder(): HeldBlocks {
    return this.spare.pop() ?? new HeldBlocks();
  }

  /**
   * Takes the first `count` blocks the last `lookup` found for a sequence, which keeps them in
   * `held`. Those in host memory come back to accelerator memory, cached there: the caller
   * allocates their blocks.
   */
  acquire(count: number, held: HeldBlocks): void {
    this.version++;
    const found = this.found;
    for (let b = 0; b < count; b++) {
      const block = found[b];
      if (block.inHost) this.load(block);
      else if (block.refs === 0) this.unlink(block);
      block.refs++;
      held.add(block);
    }
  }

  /**
   * Caches blocks `from` to `to` (exclusive) of a prompt, which its sequence has just filled with
   * computed tokens and keeps in `held`. A block another sequence cached meanwhile (both computed
   * the same prefix at once) is not cached twice: the sequence's copy stays a plain block.
   * Returns how many it cached.
   */
  insert(prefix: SequencePrefix, from: number, to: number, held: HeldBlocks): number {
    const { hashes, ends } = prefix;
    const size = this.blockSize;
    let segment = 0;
    let added = 0;
    for (let b = from; b < to; b++) {
      const last = (b + 1) * size - 1;
      while (ends[segment] <= last) segment++;
      const hash = hashes[segment];
      let inner = this.byHash.get(hash);
      if (inner === undefined) {
        inner = new Shelf(b);
        this.byHash.set(hash, inner);
      } else if (inner.get(b) !== undefined) {
        continue;
      }
      if (this.hosted > 0) this.dropHostCopy(hash, b);
      const block = new PrefixBlock(hash, b);
      inner.set(block);
      held.add(block);
      added++;
    }
    this.cached += added;
    if (added > 0) this.version++;
    return added;
  }

  /**
   * A sequence lets go of its cached blocks (it finished or was preempted), and of `held`, which
   * the cache keeps for another. Its last blocks join the eviction order first, so they go first:
   * a later prompt sharing less of the prefix still finds its start (vLLM frees a request's
   * blocks in reverse for the same reason).
   */
  release(held: HeldBlocks): void {
    if (held.count > 0) this.version++;
    const blocks = held.blocks;
    for (let i = held.count - 1; i >= 0; i--) {
      const block = blocks[i] as PrefixBlock;
      if (--block.refs === 0) this.append(block);
      blocks[i] = undefined;
    }
    held.count = 0;
    this.spare.push(held);
  }

  /**
   * Gives up the least recently freed cached block to an allocation; with a host tier it moves
   * there, dropping the tier's oldest block when the tier is full.
   */
  evict(): void {
    const block = this.head;
    if (block === null) throw new RangeError('no cached block to evict');
    this.version++;
    this.unlink(block);
    drop(this.byHash, block);
    this.cached--;
    this.evictions++;
    if (this.hostCapacity > 0) this.offload(block);
  }

  private offload(block: PrefixBlock): void {
    if (this.hosted === this.hostCapacity) {
      this.removeFromHost(this.hostHead as PrefixBlock);
      this.hostEvictions++;
    }
    keep(this.hostByHash, block);
    block.inHost = true;
    block.prev = this.hostTail;
    block.next = null;
    if (this.hostTail === null) this.hostHead = block;
    else this.hostTail.next = block;
    this.hostTail = block;
    this.hosted++;
  }

  /** A host block found by a sequence returns to accelerator memory, cached and not yet held. */
  private load(block: PrefixBlock): void {
    this.removeFromHost(block);
    keep(this.byHash, block);
    this.cached++;
  }

  /** A block cached again in accelerator memory supersedes its host copy. */
  private dropHostCopy(hash: number, index: number): void {
    const block = this.hostByHash.get(hash)?.get(index);
    if (block !== undefined) this.removeFromHost(block);
  }

  private removeFromHost(block: PrefixBlock): void {
    if (block.prev === null) this.hostHead = block.next;
    else block.prev.next = block.next;
    if (block.next === null) this.hostTail = block.prev;
    else block.next.prev = block.prev;
    block.prev = null;
    block.next = null;
    block.inHost = false;
    drop(this.hostByHash, block);
    this.hosted--;
  }

  /**
   * The laws of the cache, for `checkInvariants`: the eviction order holds exactly the cached
   * blocks no sequence holds, and `holders` (how many sequences hold each block) matches every
   * block's count. Returns the first broken law, or null; and the cached blocks held, in `held`.
   */
  check(holders: Map<PrefixBlock, number>): { law: string | null; referenced: number } {
    let referenced = 0;
    let cached = 0;
    let free = 0;
    for (const [hash, inner] of this.byHash) {
      const filled = inner.checkFilled();
      if (filled !== null) return { law: `cached blocks of ${hash}: ${filled}`, referenced };
      for (const [index, block] of inner.entries()) {
        cached++;
        if (block.hash !== hash || block.index !== index)
          return { law: 'a cached block under another key', referenced };
        if (block.inHost)
          return { law: `cached block ${hash}/${index} is marked in host memory`, referenced };
        const holding = holders.get(block) ?? 0;
        if (block.refs !== holding) {
          return {
            law: `cached block ${hash}/${index} counts ${block.refs} holders, ${holding} hold it`,
            referenced,
          };
        }
        if (block.refs > 0) referenced++;
        else free++;
      }
    }
    for (const block of holders.keys()) {
      if (this.byHash.get(block.hash)?.get(block.index) !== block) {
        return {
          law: `a sequence holds block ${block.hash}/${block.index}, which is not cached`,
          referenced,
        };
      }
    }
    let inOrder = 0;
    for (let block = this.head; block !== null; block = block.next) {
      inOrder++;
      if (block.refs !== 0) return { law: 'a held block in the eviction order', referenced };
      if (inOrder > cached) return { law: 'the eviction order loops', referenced };
    }
    if (inOrder !== free || free !== this.evictable) {
      return {
        law: `${free} cached blocks unheld, ${inOrder} in the eviction order, ${this.evictable} counted`,
        referenced,
      };
    }
    if (cached !== this.cached) return { law: `${cached} cached blocks, ${this.cached} counted`, referenced };
    return { law: this.checkHost(), referenced };
  }

  /**
   * The laws of the host tier: within its capacity, its order holds exactly its blocks, none
   * held by a sequence, none also in accelerator memory.
   */
  private checkHost(): string | null {
    if (this.hosted > this.hostCapacity)
      return `${this.hosted} host blocks, over the capacity of ${this.hostCapacity}`;
    let hosted = 0;
    for (const [hash, inner] of this.hostByHash) {
      const filled = inner.checkFilled();
      if (filled !== null) return `host blocks of ${hash}: ${filled}`;
      for (const [index, block] of inner.entries()) {
        hosted++;
        if (block.hash !== hash || block.index !== index) return 'a host block under another key';
        if (!block.inHost || block.refs !== 0)
          return `host block ${hash}/${index} is held or marked in accelerator memory`;
        if (this.byHash.get(hash)?.get(index) !== undefined) return `block ${hash}/${index} is in both tiers`;
      }
    }
    let inOrder = 0;
    for (let block = this.hostHead; block !== null; block = block.next) {
      inOrder++;
      if (!block.inHost) return 'a block in the host order is not in host memory';
      if (inOrder > hosted) return 'the host order loops';
    }
    if (inOrder !== hosted || hosted !== this.hosted)
      return `${hosted} host blocks, ${inOrder} in the host order, ${this.hosted} counted`;
    return null;
  }

  private append(block: PrefixBlock): void {
    block.prev = this.tail;
    block.next = null;
    if (this.tail === null) this.head = block;
    else this.tail.next = block;
    this.tail = block;
    this.evictable++;
  }

  private unlink(block: PrefixBlock): void {
    if (block.prev === null) this.head = block.next;
    else block.prev.next = block.next;
    if (block.next === null) this.tail = block.prev;
    else block.next.prev = block.prev;
    block.prev = null;
    block.next = null;
    this.evictable--;
  }

  /**
   * How many leading blocks of a prompt, at most `limit`, are cached: what `lookup` counts, for a
   * router comparing replicas. It only reads: no eviction order, count or `lookup` result changes.
   */
  cachedRun(prefix: SequencePrefix, limit: number): number {
    const { hashes, ends } = prefix;
    const size = this.blockSize;
    let b = 0;
    for (let segment = 0; b < limit && segment < ends.length; segment++) {
      const stop = segmentStop(ends[segment], size, limit);
      if (b >= stop) continue;
      const shelf = this.byHash.get(hashes[segment]);
      if (shelf === undefined) break;
      b = shelf.run(b, stop);
      if (b < stop) break;
    }
    return b;
  }
}

/** Tokens of a prompt of `prompt` tokens that its prefix lets other prompts share: up to its last segment's end. */
export function shareableTokens(prefix: SequencePrefix | null, prompt: number): number {
  if (prefix === null || prefix.ends.length === 0) return 0;
  return Math.min(prefix.ends[prefix.ends.length - 1], prompt);
}

/**
 * Where a prompt's blocks filed under its segment ending at token `end` stop, at most `limit`: a
 * block is filed under the segment holding its last token, so block `b` is in it or an earlier one
 * while its end, (b + 1) * size, is at most `end`.
 */
function segmentStop(end: number, size: number, limit: number): number {
  return Math.min(limit, Math.floor(end / size));
}

/** Files `block` under its hash and index in a tier's map. */
function keep(byHash: Tier, block: PrefixBlock): void {
  let inner = byHash.get(block.hash);
  if (inner === undefined) {
    inner = new Shelf(block.index);
    byHash.set(block.hash, inner);
  }
  inner.set(block);
}

/** Takes `block` out of a tier's map. */
function drop(byHash: Tier, block: PrefixBlock): void {
  const inner = byHash.get(block.hash) as Shelf;
  inner.delete(block.index);
  if (inner.count === 0) byHash.delete(block.hash);
}
