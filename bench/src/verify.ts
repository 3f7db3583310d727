/**
 * Checks a stepping view against the from-scratch recompute: the same rows (compared by value, with
 * object fields in any order), in the same order for ordered views, in any order otherwise.
 */
export function verifyRows<R>(
  viewId: string,
  actual: readonly R[],
  expected: readonly R[],
  order: 'ordered' | ((row: R) => number),
): void {
  const sorted = (rows: readonly R[]): readonly R[] => {
    if (order === 'ordered') return rows
    const key = order
    return [...rows].sort((a, b) => key(a) - key(b))
  }
  const a = sorted(actual)
  const e = sorted(expected)
  const n = Math.max(a.length, e.length)
  for (let i = 0; i < n; i++) {
    const x = i < a.length ? canonical(a[i]) : '(none)'
    const y = i < e.length ? canonical(e[i]) : '(none)'
    if (x !== y)
      throw new Error(
        `${viewId}: the stepping view differs from the from-scratch recompute ` +
          `(${a.length} rows vs ${e.length}${order === 'ordered' ? ', compared in order' : ', compared by key'}); ` +
          `first difference at row ${i}: stepping ${x}, from scratch ${y}`,
      )
  }
}

/** JSON with object keys sorted, so rows compare by value whatever order their fields were set in. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'undefined'
}
