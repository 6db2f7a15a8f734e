/** Bytes as people read them (1.2 KB, 3.4 MB). */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${(n / 1024 / 1024).toFixed(1)} MB`
}

/** A duration in ms: µs below 1 ms, one decimal below 10 ms, whole ms, then seconds. */
export function duration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`
  if (ms < 10) return `${ms.toFixed(1)} ms`
  if (ms < 10_000) return `${Math.round(ms)} ms`
  return `${(ms / 1000).toFixed(1)} s`
}

/** How long ago (or from now) an instant is, coarsely: "12 s ago", "in 3 min". */
export function relative(at: number, now = Date.now()): string {
  const s = Math.round((at - now) / 1000)
  const abs = Math.abs(s)
  const text =
    abs < 60
      ? `${abs} s`
      : abs < 3600
        ? `${Math.round(abs / 60)} min`
        : `${Math.round(abs / 3600)} h`
  return s <= 0 ? `${text} ago` : `in ${text}`
}

/** An uptime: 42 s, 3 min, 2 h 5 min, 3 d 4 h. */
export function uptime(since: number, now = Date.now()): string {
  const s = Math.max(0, Math.floor((now - since) / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`
}

/** A local date and time, to the second. */
export function when(at: number): string {
  return new Date(at).toLocaleString(undefined, { hour12: false })
}

/** Characters of an answer shown at most (a big render is drawn, not read). */
const SHOWN = 20_000

/** JSON for reading: indented (a big answer cut short, as is), or the text as is when not JSON. */
export function pretty(text: string): string {
  if (text.length > SHOWN) return `${text.slice(0, SHOWN)}… (${text.length} characters in all)`
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}
