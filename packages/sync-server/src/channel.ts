import { mergeDiffs, type Change, type Key, type Store } from '@stepping/core'
import type { Outbox } from './outbox'
import type { Publication, Identity } from './publish'

/** One connection's subscription to a channel. */
export interface ChannelSubscriber {
  /** The id the client gave the subscription. */
  readonly id: string
  readonly outbox: Outbox
  /** The version the client holds once it read everything sent (or held) for this subscription. */
  version: number
}

interface LogEntry {
  readonly version: number
  readonly changes: readonly Change<unknown>[]
}

/**
 * One published view's partition (or the whole of a view that is not partitioned), served to every
 * subscriber by a single store subscription: a commit costs O(changed rows × its subscribers), whatever
 * the number of other channels. Keeps the recent diffs for resumption: a client at a version from
 * `#since` on gets exactly the changes after it; an older one gets a reset.
 */
export class Channel {
  readonly subscribers = new Set<ChannelSubscriber>()
  readonly #log: LogEntry[] = []
  #logChanges = 0
  /** The log holds every diff with a version above this one. */
  #since: number
  readonly #stop: () => void

  constructor(
    readonly store: Store,
    /** The view name and partition id: the key of the server's channel map. */
    readonly id: string,
    readonly name: string,
    readonly publication: Publication<Identity>,
    readonly partition: Key | undefined,
    readonly maxLogChanges: number,
  ) {
    this.#since = store.version
    this.#stop = store.subscribe(publication.view, (diff, version) => this.#publish(diff, version), partition)
  }

  /** The changes after `version`, merged into one diff, or undefined when the log no longer reaches back there. */
  changesSince(version: number): Change<unknown>[] | undefined {
    if (version < this.#since) return undefined
    const entries: (readonly Change<unknown>[])[] = []
    for (let i = this.#log.length - 1; i >= 0 && this.#log[i]!.version > version; i--) entries.push(this.#log[i]!.changes)
    return mergeDiffs(entries.reverse())
  }

  /** Every row of the partition as +1 changes, keyed as the publication says. */
  snapshot(): Change<unknown>[] {
    return this.store.read(this.publication.view, this.partition).map((row) => ({ key: this.publication.key(row), row, weight: 1 }))
  }

  close(): void {
    this.#stop()
  }

  #publish(diff: readonly Change<unknown>[], version: number): void {
    this.#log.push({ version, changes: diff })
    this.#logChanges += diff.length
    while (this.#logChanges > this.maxLogChanges && this.#log.length > 0) {
      const dropped = this.#log.shift()!
      this.#logChanges -= dropped.changes.length
      this.#since = dropped.version
    }
    for (const s of this.subscribers) {
      s.outbox.diff(s.id, s.version, version, false, diff)
      s.version = version
    }
  }
}
