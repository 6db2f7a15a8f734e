import { useEffect, useRef } from 'preact/hooks'
import { Chart } from './chart'

/**
 * The colour of a mandelbrot pixel that escaped after `i` of `max` iterations: black inside the
 * set, else a blue → orange ramp on the fourth root of the count (most pixels escape early; the
 * root spreads their detail; square roots are exact, so any browser draws the same pixels).
 */
export function mandelbrotColor(i: number, max: number): [number, number, number] {
  if (i >= max) return [0, 0, 0]
  const t = Math.sqrt(Math.sqrt(i / max))
  return [Math.round(255 * Math.min(1, 2 * t)), Math.round(255 * t), Math.round(255 * (1 - t))]
}

/** A mandelbrot answer: iteration counts, row-major, `width` per listed row. */
export interface Image {
  width: number
  rows: number
  maxIter: number
  counts: number[]
}

/** The image an answer is, when the call was a mandelbrot render whose counts fill its rows. */
export function imageOf(
  fn: { name: string; headerItems: number },
  event: unknown,
  answer: unknown
): Image | null {
  if (!/mandelbrot/i.test(fn.name) || fn.headerItems !== 7) return null
  const dataset = (event as { dataset?: unknown } | null)?.dataset
  const counts = Array.isArray(answer) ? answer : (answer as { result?: unknown } | null)?.result
  if (!Array.isArray(dataset) || !Array.isArray(counts)) return null
  const [width, , maxIter] = dataset as number[]
  const rows = dataset.length - 7
  if (typeof width !== 'number' || typeof maxIter !== 'number' || width <= 0 || rows <= 0)
    return null
  if (counts.length !== width * rows || !counts.every((c) => typeof c === 'number')) return null
  return { width, rows, maxIter, counts: counts as number[] }
}

/** Draws a mandelbrot answer on a canvas, one pixel per count (scaled up by CSS). */
export function ImageView({ image }: { image: Image }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    const context = canvas.current?.getContext('2d')
    if (context === null || context === undefined) return
    const data = context.createImageData(image.width, image.rows)
    image.counts.forEach((count, p) => {
      const [r, g, b] = mandelbrotColor(count, image.maxIter)
      data.data.set([r, g, b, 255], p * 4)
    })
    context.putImageData(data, 0, 0)
  }, [image])
  return (
    <canvas
      ref={canvas}
      class="render"
      data-render
      width={image.width}
      height={image.rows}
      role="img"
      aria-label={`The answer drawn: ${image.width}×${image.rows} mandelbrot`}
    />
  )
}

/** An answer that is a list of numbers, or whose `result` is, plotted against its index. */
export function numbersOf(answer: unknown): number[] | null {
  const list = Array.isArray(answer) ? answer : (answer as { result?: unknown } | null)?.result
  if (!Array.isArray(list) || list.length < 2 || list.length > 100_000) return null
  return list.every((v) => typeof v === 'number') ? (list as number[]) : null
}

export function PlotView({ values }: { values: number[] }) {
  return (
    <div data-plot>
      <Chart
        label={`The answer plotted: ${values.length} values`}
        x={values.map((_, i) => i)}
        lines={[{ label: 'value', values, color: '--accent' }]}
        width={Math.min(720, Math.max(280, window.innerWidth - 80))}
        height={200}
        axes
        time={false}
      />
    </div>
  )
}
