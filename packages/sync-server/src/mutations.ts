import { SteppingError, type ErrorMessage, type MutationMessage, type ServerMessage, type Store, type Transaction } from '@stepping/core'
import { syncClients, type RejectedMutation, type SyncClientRecord } from './clients'
import type { Identity } from './publish'

/** A server mutator: changes the real inputs for `identity`. What it throws rejects the mutation. */
export type ServerMutator<I extends Identity> = (tx: Transaction, args: unknown, identity: I) => void

/** Where the outcome of a mutation goes: the outbox of each connection that pushed it. */
export interface Answerer {
  send(message: ServerMessage): void
}

/** A mutation accepted for the next group commit, and the connections to answer. */
interface Queued {
  readonly clientId: string
  readonly identity: Identity
  readonly mutation: MutationMessage
  /** The first mutation id of the push it came in. */
  readonly floor: number
  readonly answer: Set<Answerer>
}

const MAX_KEPT_REJECTIONS = 1000
const MAX_BATCH = 500

/**
 * Applies clients' mutations exactly once. The last mutation id of every client is kept in the
 * `syncClients` collection of the store, written in the same transaction as the mutation's effects, so a
 * durable storage commits both or neither; a mutation id up to it is a repeat, answered with its original
 * outcome. Mutations wait for a group commit: those queued since the last one run in one transaction.
 */
export class MutationQueue {
  readonly #queue: Queued[] = []
  readonly #byClient = new Map<string, Map<number, Queued>>()
  #flushing = false

  constructor(
    readonly store: Store,
    readonly mutators: Readonly<Record<string, ServerMutator<Identity>>>,
    readonly report: (error: unknown) => void,
  ) {}

  /**
   * Answers a mutation the server already has: applied or rejected (its outcome is sent now), or queued
   * (it will be answered to `answer` too). False for a new mutation.
   */
  known(clientId: string, m: MutationMessage, answer: Answerer): boolean {
    const record = this.store.get(syncClients, clientId)
    if (record !== undefined && m.id <= record.lastMutationId) {
      const rejected = record.rejected.find((r) => r.id === m.id)
      answer.send(rejected === undefined ? { type: 'ack', id: m.id, ok: true } : { type: 'ack', id: m.id, ok: false, error: rejected })
      return true
    }
    const same = this.#byClient.get(clientId)?.get(m.id)
    // Pushed again (after a reconnection) before its group commit: answer the new connection too.
    if (same !== undefined) same.answer.add(answer)
    return same !== undefined
  }

  /** Queues a new mutation for the next group commit; `floor` is the first mutation id of its push. */
  add(clientId: string, identity: Identity, mutation: MutationMessage, floor: number, answer: Answerer): void {
    const item: Queued = { clientId, identity, mutation, floor, answer: new Set([answer]) }
    this.#queue.push(item)
    const waiting = this.#byClient.get(clientId)
    if (waiting === undefined) this.#byClient.set(clientId, new Map([[mutation.id, item]]))
    else waiting.set(mutation.id, item)
    this.#schedule()
  }

  #schedule(): void {
    if (this.#flushing) return
    this.#flushing = true
    setImmediate(() => this.#flush())
  }

  /**
   * Group commit: one transaction, so one durable SQLite commit, carries every queued mutation. If any
   * mutator throws, that transaction is abandoned whole and the batch runs again one mutation per
   * transaction, where a throwing mutator is rejected on its own.
   */
  #flush(): void {
    this.#flushing = false
    const batch = this.#queue.splice(0, MAX_BATCH)
    if (this.#queue.length > 0) this.#schedule()
    if (!this.#applyBatch(batch)) {
      const failed = new Set<string>()
      // A client's mutations apply in order: after one that could not be recorded, none of its later ones.
      for (const item of batch) if (failed.has(item.clientId) || !this.#applyOne(item)) failed.add(item.clientId)
    }
    for (const item of batch) {
      const waiting = this.#byClient.get(item.clientId)
      waiting?.delete(item.mutation.id)
      if (waiting?.size === 0) this.#byClient.delete(item.clientId)
    }
  }

  #applyBatch(batch: readonly Queued[]): boolean {
    try {
      this.store.transact((tx) => {
        for (const { clientId, identity, mutation: m, floor } of batch) {
          const mutator = this.#mutator(m.name)
          const record = tx.get(syncClients, clientId)
          mutator(tx, m.args, identity)
          tx.upsert(syncClients, { id: clientId, owner: identity.id, lastMutationId: m.id, rejected: kept(record, floor) })
        }
      })
    } catch {
      return false
    }
    for (const { mutation, answer } of batch) for (const a of answer) a.send({ type: 'ack', id: mutation.id, ok: true })
    return true
  }

  /** Runs one mutation in a transaction of its own; false when even its rejection could not be recorded. */
  #applyOne({ clientId, identity, mutation: m, floor, answer }: Queued): boolean {
    const record = this.store.get(syncClients, clientId)
    const next = { id: clientId, owner: identity.id, lastMutationId: m.id }
    try {
      const mutator = this.#mutator(m.name)
      this.store.transact((tx) => {
        mutator(tx, m.args, identity)
        tx.upsert(syncClients, { ...next, rejected: kept(record, floor) })
      })
      for (const a of answer) a.send({ type: 'ack', id: m.id, ok: true })
      return true
    } catch (thrown) {
      const rejection: RejectedMutation = { id: m.id, ...describe(thrown) }
      try {
        this.store.transact((tx) => tx.upsert(syncClients, { ...next, rejected: [...kept(record, floor), rejection] }))
      } catch (e) {
        this.report(e)
        const error: ErrorMessage = {
          type: 'error',
          code: 'internal',
          message: 'the mutation could not be recorded; push it again later',
          ref: m.id,
          retryAfterMs: 1000,
          fatal: false,
        }
        for (const a of answer) a.send(error)
        return false
      }
      for (const a of answer) a.send({ type: 'ack', id: m.id, ok: false, error: { name: rejection.name, message: rejection.message } })
      return true
    }
  }

  #mutator(name: string): ServerMutator<Identity> {
    const mutator = Object.hasOwn(this.mutators, name) ? this.mutators[name] : undefined
    if (mutator === undefined) throw new UnknownMutatorError(name)
    return mutator
  }
}

/** Rejections to keep in a client's record: those the client may not have heard of (from `floor` on). */
function kept(record: SyncClientRecord | undefined, floor: number): RejectedMutation[] {
  return (record?.rejected ?? []).filter((r) => r.id >= floor).slice(-MAX_KEPT_REJECTIONS)
}

/** A mutation named a mutator the server does not have: it is rejected with this error. */
class UnknownMutatorError extends SteppingError {
  override name = 'UnknownMutatorError'
  constructor(name: string) {
    super(`no mutator named '${name.slice(0, 64)}'`)
  }
}

function describe(thrown: unknown): { name: string; message: string } {
  if (thrown instanceof Error) return { name: thrown.name, message: thrown.message }
  return { name: 'Error', message: String(thrown) }
}
