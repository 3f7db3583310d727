declare global {
  interface Window {
    /** Renders per table row component since the page loaded: how tests see that unchanged rows stay. */
    dashboardRenders?: Record<string, number>
    /** Ingest-to-paint latencies measured so far, in ms. */
    dashboardLatencies?: number[]
  }
}

/** Counts one render of a row of `table`. */
export function countRender(table: string): void {
  const renders = (window.dashboardRenders ??= {})
  renders[table] = (renders[table] ?? 0) + 1
}
