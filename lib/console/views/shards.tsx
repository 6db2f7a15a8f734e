/** One shard of a sharded call: where it ran and how it went. */
export interface Shard {
  index: number
  edge: string
  attempts: number
  ms: number
  items: number
}

/** The log line the edge writes per shard (lib/gateway/routes/invoke.ts, `tailLog`). */
const SHARD_LINE = /^shard (\d+): (.+), (\d+) attempt\(s\), ([\d.]+) ms, (\d+) items$/

/** Shards from an answer's `shards` (Wasm ABIs) or, failing that, from the log's shard lines. */
export function shardsOf(answer: unknown, log: string): Shard[] {
  const listed = (answer as { shards?: unknown } | null)?.shards
  if (Array.isArray(listed)) return listed as Shard[]
  return log.split('\n').flatMap((line) => {
    const m = SHARD_LINE.exec(line.trim())
    return m === null
      ? []
      : [{ index: +m[1]!, edge: m[2]!, attempts: +m[3]!, ms: +m[4]!, items: +m[5]! }]
  })
}

/** A colour per edge, stable for the session: edges sorted by name take palette slots. */
export function edgeColor(edge: string, edges: string[]): string {
  const i = Math.max(0, [...edges].sort().indexOf(edge))
  return `var(--edge-${i % 8})`
}

/** The shard strip: one segment per shard, as wide as its items, coloured by the edge that ran it. */
export function ShardStrip({ shards, edges }: { shards: Shard[]; edges: string[] }) {
  if (shards.length === 0) return null
  const names = [...new Set(shards.map((s) => s.edge))]
  return (
    <figure class="shards" data-shard-strip>
      <div class="strip" role="img" aria-label={`${shards.length} shards on ${names.join(', ')}`}>
        {shards.map((s) => (
          <span
            class="shard"
            data-shard={s.index}
            data-edge={s.edge}
            style={{ flexGrow: Math.max(1, s.items), background: edgeColor(s.edge, edges) }}
            title={`shard ${s.index}: ${s.edge}, ${s.items} items, ${s.ms} ms, ${s.attempts} attempt(s)`}
          />
        ))}
      </div>
      <figcaption>
        {shards.length} shard{shards.length === 1 ? '' : 's'} on{' '}
        {names.map((n) => (
          <span class="legend" data-legend-edge={n}>
            <i style={{ background: edgeColor(n, edges) }} /> {n}
          </span>
        ))}
      </figcaption>
    </figure>
  )
}
