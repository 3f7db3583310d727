import { useEffect, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { DAY_MS } from '../model'

/** One line of a chart: a value per day of the chart's `days`, null where there is none. */
export interface Series {
  readonly label: string
  readonly color: string
  readonly values: readonly (number | null)[]
}

export interface ChartProps {
  readonly id: string
  readonly title: string
  /** Day numbers of the x axis, ascending. */
  readonly days: readonly number[]
  readonly series: readonly Series[]
  /** Formats a y value for the axis and the legend. */
  readonly format: (value: number) => string
}

/**
 * A uPlot line chart of values per day. The uPlot instance is made once per set of series and fed new
 * data with `setData` (one canvas redraw, no DOM work) whenever the rows behind it change: React
 * re-renders this component only when the view's rows change, and uPlot then redraws the canvas once.
 * The container carries the number of points drawn and each series' sum, for tests and for the curious.
 */
export function Chart({ id, title, days, series, format }: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const labels = series.map((s) => `${s.label}:${s.color}`).join(',')
  const data: uPlot.AlignedData = [days.map((d) => (d * DAY_MS) / 1000), ...series.map((s) => [...s.values])]

  useEffect(() => {
    const element = box.current
    if (element === null) return undefined
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height: 240,
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true, value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)) }))],
      axes: [{ stroke: '#9aa4b2', grid: { stroke: '#2a3140' } }, { stroke: '#9aa4b2', grid: { stroke: '#2a3140' }, size: 80, values: (_u, ticks) => ticks.map(format) }],
      scales: { x: { time: true } },
      legend: { live: false },
    }
    const u = new uPlot(options, data, element)
    plot.current = u
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(320, element.clientWidth), height: 240 }))
    resize.observe(element)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
    // The instance depends on the series' names and colours only; data arrives through setData below.
  }, [labels])

  useEffect(() => {
    plot.current?.setData(data)
  })

  let points = 0
  const totals: Record<string, number> = {}
  for (const s of series) {
    let total = 0
    for (const v of s.values)
      if (v !== null) {
        points++
        total += v
      }
    totals[s.label] = total
  }
  return (
    <section className="panel">
      <h2>{title}</h2>
      <div id={id} ref={box} className="chart" data-points={points} data-totals={JSON.stringify(totals)} />
    </section>
  )
}
