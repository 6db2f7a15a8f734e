import { useEffect, useRef } from 'preact/hooks'
import uPlot from 'uplot'

/** One line of a chart: its label, its values (null: a gap) and a CSS colour variable. */
export interface Line {
  label: string
  values: (number | null)[]
  color: string
}

/**
 * A theme colour as the canvas needs it: the variables hold `light-dark(…)`, which only an
 * element's computed style resolves (to `rgb(…)`).
 */
function cssVar(name: string): string {
  const probe = document.createElement('span')
  probe.style.color = `var(${name})`
  document.body.append(probe)
  const color = getComputedStyle(probe).color
  probe.remove()
  return color || 'gray'
}

/**
 * A small uPlot line chart (a sparkline without axes, or with them): `x` is shared by the lines.
 * uPlot draws on a canvas and updates in place, so a chart per function per second stays cheap.
 */
export function Chart(props: {
  x: number[]
  lines: Line[]
  width: number
  height: number
  axes?: boolean
  label: string
  /** x values are seconds since the epoch (time axis) or plain numbers (an index). */
  time?: boolean
}) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const shape = `${props.lines.map((l) => l.label).join('|')}:${props.width}x${props.height}:${props.axes === true}`
  const data = [props.x, ...props.lines.map((l) => l.values)] as uPlot.AlignedData

  useEffect(() => {
    if (box.current === null) return
    const axes = props.axes === true
    const options: uPlot.Options = {
      width: props.width,
      height: props.height,
      legend: { show: axes },
      cursor: { show: axes },
      scales: { x: { time: props.time !== false } },
      axes: axes
        ? [
            { stroke: cssVar('--muted'), grid: { stroke: cssVar('--border') } },
            { stroke: cssVar('--muted'), grid: { stroke: cssVar('--border') } }
          ]
        : [{ show: false }, { show: false }],
      series: [
        {},
        ...props.lines.map((l) => ({
          label: l.label,
          stroke: cssVar(l.color),
          width: 1.5,
          spanGaps: false,
          points: { show: false }
        }))
      ]
    }
    plot.current = new uPlot(options, data, box.current)
    return () => {
      plot.current?.destroy()
      plot.current = null
    }
  }, [shape])

  useEffect(() => {
    plot.current?.setData(data)
  })

  return <div class="chart" ref={box} role="img" aria-label={props.label} />
}
