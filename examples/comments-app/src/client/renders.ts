import { useEffect, useRef, type RefObject } from 'react'

// Counts the commits of every comment component: the proof, in the dev panel and in the tests, that a
// change re-renders the comments it touched and no others. Counted in an effect (after React commits),
// so a render React threw away is not counted.

/** Comments re-rendered together: within one task, so one commit or a few close ones. */
export interface RenderBatch {
  readonly seq: number
  readonly ids: readonly string[]
}

let total = 0
let seq = 0
let open: string[] | undefined
let batches: readonly RenderBatch[] = []
let flash = false
const listeners = new Set<() => void>()

function record(id: string, element: HTMLElement | null): void {
  total++
  if (open === undefined) {
    const ids: string[] = (open = [])
    // Every effect of one commit has run before the next task: a batch holds whole commits.
    setTimeout(() => {
      open = undefined
      batches = [{ seq: ++seq, ids }, ...batches].slice(0, 12)
      for (const listener of listeners) listener()
    })
  }
  open.push(id)
  if (flash) element?.animate([{ boxShadow: '0 0 0 2px #f59e0b' }, { boxShadow: '0 0 0 2px transparent' }], { duration: 700 })
}

/** Call in a comment component; attach the ref to its element so the dev panel can flash it. */
export function useRenderCount<E extends HTMLElement>(id: string): RefObject<E | null> {
  const ref = useRef<E>(null)
  useEffect(() => record(id, ref.current))
  return ref
}

export const renders = {
  get total(): number {
    return total
  },
  reset(): void {
    total = 0
    batches = []
    for (const listener of listeners) listener()
  },
  setFlash(on: boolean): void {
    flash = on
  },
  get flash(): boolean {
    return flash
  },
  subscribe(listener: () => void): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  batches: (): readonly RenderBatch[] => batches,
}
