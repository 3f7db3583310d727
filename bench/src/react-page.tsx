// The browser side of `npm run bench:react` (bench/src/react.ts bundles and serves it): the same 10,000-row
// list of memoized rows rendered by @stepping/react's useView or by @tanstack/react-db's useLiveQuery
// (chosen by ?lib=), and a loop that changes one row at a time and times commit → DOM and commit → paint.
import { collection, createStore, view } from '@stepping/core'
import { StoreProvider, useView } from '@stepping/react'
import { createCollection, localOnlyCollectionOptions, useLiveQuery } from '@tanstack/react-db'
import { memo, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'

export interface Item {
  id: number
  label: string
}

/** What one page run reports back to the driver. */
export interface PageResult {
  readonly lib: string
  /** createRoot().render of the 10,000 rows until the next frame after they are in the DOM, ms. */
  readonly mountMs: number
  /** Per change: the commit call itself (store.transact / collection.update returning), ms. */
  readonly callMs: readonly number[]
  /** Per change: commit call → the changed row's text in the DOM, ms. */
  readonly domMs: readonly number[]
  /** Per change: commit call → the first frame showing the change has been produced, ms. */
  readonly paintMs: readonly number[]
  /** Row components rendered over all the measured changes (one per change when only that row renders). */
  readonly rowRenders: number
}

declare global {
  interface Window {
    runBench(options: { readonly rows: number; readonly warmup: number; readonly changes: number }): Promise<PageResult>
  }
}

let rowRenders = 0
const Row = memo(function Row({ item }: { readonly item: Item }) {
  rowRenders++
  return <li data-id={item.id}>{item.label}</li>
})

function List({ rows }: { readonly rows: readonly Item[] }) {
  return <ul id="list">{rows.map((item) => <Row key={item.id} item={item} />)}</ul>
}

/** One library's way to render the list and to change one row. */
interface Contender {
  readonly element: ReactNode
  commit(id: number, label: string): void
}

function stepping(initial: readonly Item[]): Contender {
  const items = collection<Item>('items', { key: 'id' })
  const byId = view('byId', items.orderBy((i) => i.id))
  const store = createStore({ views: [byId] })
  store.transact((tx) => tx.insert(items, initial))
  function SteppingList() {
    return <List rows={useView(byId)} />
  }
  return {
    element: (
      <StoreProvider store={store}>
        <SteppingList />
      </StoreProvider>
    ),
    commit: (id, label) => store.transact((tx) => tx.update(items, id, { label })),
  }
}

function tanstack(initial: readonly Item[]): Contender {
  const items = createCollection(localOnlyCollectionOptions({ id: 'items', getKey: (i: Item) => i.id, initialData: [...initial] }))
  function TanstackList() {
    const { data } = useLiveQuery((q) => q.from({ item: items }).orderBy(({ item }) => item.id, 'asc'))
    return <List rows={data} />
  }
  return {
    element: <TanstackList />,
    commit: (id, label) => {
      items.update(id, (draft) => {
        draft.label = label
      })
    },
  }
}

/** The browser's floor: the same React list, and a change written straight into the row's DOM. */
function baseline(initial: readonly Item[]): Contender {
  return {
    element: <List rows={initial} />,
    commit: (id, label) => {
      document.querySelector(`li[data-id="${id}"]`)!.textContent = label
    },
  }
}

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()))

/** Resolves in the first task after the next frame has been produced: a rAF, then a message from it. */
function afterNextFrame(): Promise<number> {
  return new Promise((resolve) => requestAnimationFrame(() => resolve(afterThisFrame())))
}

/** Called from a rAF callback: resolves in the first task after this frame's rendering. */
function afterThisFrame(): Promise<number> {
  return new Promise((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => resolve(performance.now())
    channel.port2.postMessage(undefined)
  })
}

/**
 * Commits one change at the start of a frame, as an input event handler would (Chrome dispatches input
 * right before rAF callbacks), and times it: until the row shows `label` in the DOM (a MutationObserver),
 * and until the first frame holding that DOM has been produced. A second rAF callback registered after the
 * committing one runs after it and its microtasks but before the frame's style, layout and paint: if the
 * DOM changed by then, this frame shows it; otherwise the next frame after the DOM changed does.
 */
async function timeChange(list: HTMLElement, contender: Contender, id: number, label: string): Promise<{ call: number; dom: number; paint: number }> {
  const row = list.querySelector(`li[data-id="${id}"]`)!
  let start = 0
  let call = 0
  let dom: number | undefined
  const updated = new Promise<number>((resolve) => {
    const observer = new MutationObserver(() => {
      if (row.textContent !== label) return
      dom = performance.now()
      observer.disconnect()
      resolve(dom)
    })
    observer.observe(list, { subtree: true, childList: true, characterData: true })
  })
  await nextFrame()
  const painted = await new Promise<number>((resolve) => {
    requestAnimationFrame(() => {
      start = performance.now()
      contender.commit(id, label)
      call = performance.now() - start
    })
    requestAnimationFrame(() => {
      if (dom !== undefined) resolve(afterThisFrame())
      else resolve(updated.then(afterNextFrame))
    })
  })
  return { call, dom: (await updated) - start, paint: painted - start }
}

window.runBench = async ({ rows, warmup, changes }) => {
  const lib = new URL(location.href).searchParams.get('lib') ?? 'stepping'
  const initial = Array.from({ length: rows }, (_, id) => ({ id, label: `item ${id}` }))
  const contender = lib === 'tanstack' ? tanstack(initial) : lib === 'baseline' ? baseline(initial) : stepping(initial)
  const root = document.getElementById('root')!
  const mountStart = performance.now()
  createRoot(root).render(contender.element)
  while (document.querySelectorAll('#list li').length < rows) await nextFrame()
  const mountMs = (await afterNextFrame()) - mountStart
  const list = document.getElementById('list')!

  // A fixed pseudo-random sequence of rows (a linear congruential generator), the same for both libraries.
  let seed = 12345
  const nextId = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % rows
  const callMs: number[] = []
  const domMs: number[] = []
  const paintMs: number[] = []
  for (let n = 0; n < warmup + changes; n++) {
    if (n === warmup) rowRenders = 0
    const { call, dom, paint } = await timeChange(list, contender, nextId(), `changed ${n}`)
    if (n >= warmup) {
      callMs.push(call)
      domMs.push(dom)
      paintMs.push(paint)
    }
    // Let each library finish whatever it does after the update (TanStack confirms the optimistic write
    // asynchronously) before the next change is timed.
    await nextFrame()
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
  return { lib, mountMs, callMs, domMs, paintMs, rowRenders }
}
