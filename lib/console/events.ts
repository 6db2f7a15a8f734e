/** Saved test events, per function, in this browser (localStorage), as AWS's console keeps them. */
const PREFIX = 'swarm-lambda.events.'

export function savedEvents(fn: string): Record<string, string> {
  try {
    const value = JSON.parse(localStorage.getItem(PREFIX + fn) ?? '{}') as unknown
    return typeof value === 'object' && value !== null ? (value as Record<string, string>) : {}
  } catch {
    return {}
  }
}

export function saveEvent(fn: string, name: string, text: string | null): void {
  const events = savedEvents(fn)
  if (text === null) delete events[name]
  else events[name] = text
  localStorage.setItem(PREFIX + fn, JSON.stringify(events))
}

/** A first event for a function: a small render for mandelbrot, a dataset for a Wasm ABI. */
export function exampleEvent(fn: { name: string; abi: string; headerItems: number }): string {
  if (/mandelbrot/i.test(fn.name) && fn.headerItems === 7) {
    const [width, height] = [160, 120]
    const rows = Array.from({ length: height }, (_, i) => i)
    return JSON.stringify({
      dataset: [width, height, 300, -2_000_000, -1_200_000, 1_000_000, 1_200_000, ...rows]
    })
  }
  if (fn.abi === 'v1') return JSON.stringify({ dataset: [1, 2, 3, 4, 5, 6, 7, 8] })
  return JSON.stringify({ name: 'edge' }, null, 2)
}
