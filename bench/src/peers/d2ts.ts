import { consolidate, D2, filter, groupBy, groupByOperators, join, map, MessageType, MultiSet, orderByWithFractionalIndex, output } from '@electric-sql/d2ts'
import type { IStreamBuilder, KeyValue, RootStreamBuilder } from '@electric-sql/d2ts'
import type { IssueWithOwner } from '../scratch'
import type { Comment, Dataset, Issue, User } from '../schema'
import type { Edit } from '../stream'
import { byIndex, InputRows, Materialized, newestFirst } from './types'
import type { PeerEngine, PeerView, Unsupported, ViewId } from './types'

type Keyed<T> = KeyValue<number, T>

const { count, sum, max } = groupByOperators

/**
 * The graph's three inputs (each keyed by row id) and the work of feeding them. Every step is a new
 * version: data at version v on the inputs that changed, then the frontier v + 1 on all three (so every
 * operator may complete version v), then `graph.run()`.
 */
class Inputs {
  readonly graph = new D2({ initialFrontier: 0 })
  readonly issues: RootStreamBuilder<Keyed<Issue>> = this.graph.newInput<Keyed<Issue>>()
  readonly users: RootStreamBuilder<Keyed<User>> = this.graph.newInput<Keyed<User>>()
  readonly comments: RootStreamBuilder<Keyed<Comment>> = this.graph.newInput<Keyed<Comment>>()
  readonly #rows: InputRows
  #version = 0

  constructor(data: Dataset) {
    this.#rows = new InputRows(data)
  }

  /** Sends the whole dataset (the collections the view reads) and runs the graph. */
  load(data: Dataset, reads: { issues: boolean; users: boolean; comments: boolean }): void {
    const v = this.#version
    if (reads.issues) this.issues.sendData(v, new MultiSet(data.issues.map((r): [Keyed<Issue>, number] => [[r.id, r], 1])))
    if (reads.users) this.users.sendData(v, new MultiSet(data.users.map((r): [Keyed<User>, number] => [[r.id, r], 1])))
    if (reads.comments) this.comments.sendData(v, new MultiSet(data.comments.map((r): [Keyed<Comment>, number] => [[r.id, r], 1])))
    this.#advance()
  }

  /** Closes the current version on every input and runs the graph to quiescence. */
  #advance(): void {
    const next = ++this.#version
    this.issues.sendFrontier(next)
    this.users.sendFrontier(next)
    this.comments.sendFrontier(next)
    this.graph.run()
  }

  /** One step: every edit as retraction + insertion on its input, then one run of the graph. */
  apply(edits: readonly Edit[]): void {
    const issues: [Keyed<Issue>, number][] = []
    const users: [Keyed<User>, number][] = []
    const comments: [Keyed<Comment>, number][] = []
    for (const edit of edits) {
      const c = this.#rows.change(edit)
      if (c.collection === 'issues') issues.push([[c.old.id, c.old], -1], [[c.next.id, c.next], 1])
      else if (c.collection === 'users') users.push([[c.old.id, c.old], -1], [[c.next.id, c.next], 1])
      else {
        if (c.old !== null) comments.push([[c.old.id, c.old], -1])
        if (c.next !== null) comments.push([[c.next.id, c.next], 1])
      }
    }
    const v = this.#version
    if (issues.length > 0) this.issues.sendData(v, new MultiSet(issues))
    if (users.length > 0) this.users.sendData(v, new MultiSet(users))
    if (comments.length > 0) this.comments.sendData(v, new MultiSet(comments))
    this.#advance()
  }
}

/** Consolidates a keyed stream and keeps it as the view's current rows. */
function materialize<K, V>(stream: IStreamBuilder<KeyValue<K, V>>): Materialized<K, V> {
  const out = new Materialized<K, V>()
  stream.pipe(
    consolidate(),
    output((m) => {
      if (m.type === MessageType.DATA) out.apply(m.data.collection.getInner())
    }),
  )
  return out
}

function ordered<T extends { id: number; createdAt: number }>(inputs: Inputs, stream: IStreamBuilder<Keyed<T>>, limit?: number): PeerView {
  const out = materialize(
    stream.pipe(orderByWithFractionalIndex<Keyed<T>, T>((r) => r, { comparator: newestFirst, ...(limit === undefined ? {} : { limit }) })),
  )
  return view(inputs, () => byIndex(out.rows.values()))
}

function view(inputs: Inputs, rows: () => readonly unknown[]): PeerView {
  return { apply: (edits) => inputs.apply(edits), rows }
}

const countRows = (out: Materialized<string, { key: number; n: number }>) => () =>
  [...out.rows.values()].map((r) => ({ key: r.key, n: r.n }))

function build(id: ViewId, data: Dataset): PeerView | Unsupported {
  const inputs = new Inputs(data)
  let result: PeerView
  switch (id) {
    case 'Q1':
      result = ordered(inputs, inputs.issues.pipe(filter(([, i]: Keyed<Issue>) => i.status === 'open' && i.priority >= 2)))
      break
    case 'Q2': {
      const out = materialize(
        inputs.issues.pipe(
          map(([, i]): Keyed<Issue> => [i.ownerId, i]),
          join(inputs.users, 'inner'),
          map(([, [i, u]]): Keyed<IssueWithOwner> => [i!.id, { id: i!.id, title: i!.title, owner: u!.name }]),
        ),
      )
      result = view(inputs, () => [...out.rows.values()])
      break
    }
    case 'Q3a': {
      const out = materialize(inputs.comments.pipe(map(([, c]) => c), groupBy((c: Comment) => ({ key: c.issueId }), { n: count() })))
      result = view(inputs, countRows(out))
      break
    }
    case 'Q3b': {
      const out = materialize(
        inputs.issues.pipe(
          map(([, i]) => i),
          filter((i: Issue) => i.status === 'open'),
          groupBy((i: Issue) => ({ key: i.projectId }), { n: count(), prio: sum((i: Issue) => i.priority), newest: max((i: Issue) => i.createdAt) }),
        ),
      )
      result = view(inputs, () => [...out.rows.values()].map((r) => ({ key: r.key, n: r.n, prio: r.prio, newest: r.newest })))
      break
    }
    case 'Q4': {
      const open = inputs.issues.pipe(filter(([, i]: Keyed<Issue>) => i.status === 'open'))
      const out = materialize(
        inputs.comments.pipe(
          map(([, c]): Keyed<Comment> => [c.issueId, c]),
          join(open, 'inner'),
          map(([, [c]]) => c!),
          groupBy((c: Comment) => ({ key: c.authorId }), { n: count() }),
        ),
      )
      result = view(inputs, countRows(out))
      break
    }
    case 'Q5':
      result = ordered(inputs, inputs.comments, 20)
      break
  }
  inputs.graph.finalize()
  inputs.load(data, { issues: id !== 'Q3a' && id !== 'Q5', users: id === 'Q2', comments: id === 'Q3a' || id === 'Q4' || id === 'Q5' })
  return result
}

/** @electric-sql/d2ts: differential dataflow with versions and frontiers (in-memory operators, no SQLite). */
export const d2ts: PeerEngine = { name: '@electric-sql/d2ts', pkg: '@electric-sql/d2ts', build }
