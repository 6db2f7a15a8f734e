/**
 * The cluster map: every edge at its region on a world map, with the links between edges and
 * their round trips. It is drawn at the container's real pixel size rather than a scaled viewBox
 * so its 12 px labels stay readable on a phone as on a desktop, and every label goes through
 * ../labels so none hides another one or a marker.
 */
import { geoGraticule10, geoNaturalEarth1, geoPath, type GeoProjection } from 'd3-geo'
import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks'
import { feature } from 'topojson-client'
import landTopology from 'world-atlas/land-110m.json'
import type { ConsolePoint } from '../../wire/console'
import { placeLabels, spreadOut, type Box, type LabelItem, type Spot } from '../labels'
import './map.css'

export interface MapNode {
  name: string
  region: string
  geo: ConsolePoint | null
  health: 'healthy' | 'unhealthy' | 'down'
  self: boolean
  load: number
  workers: number
}

/** A link between two nodes, by name. */
export interface MapLink {
  from: string
  to: string
  rttMs: number
}

export interface ClusterMapProps {
  nodes: MapNode[]
  links: MapLink[]
  selected: string | null
  onSelect: (name: string) => void
}

type Topology = Parameters<typeof feature>[0]
const topology = landTopology as unknown as Topology
/** Converted once: the 110m outlines are plenty at console sizes. */
const LAND = feature(topology, topology.objects.land as NonNullable<Topology['objects'][string]>)
const SPHERE = { type: 'Sphere' } as const
const GRATICULE = geoGraticule10()

// Sizes in px. NAME_SIZE and RTT_SIZE must match map.css: labels are placed from measured text.
const NAME_SIZE = 12
const RTT_SIZE = 11
/** Height of a row of nodes with no location, kept free at the bottom. */
const ROW = 28
/** How far beyond its dot a marker's rings reach; labels keep clear of it. */
const HALO = 5

/** Grows a little with the work on the edge, so a busy edge stands out without swamping others. */
function radius(node: MapNode): number {
  return 5 + Math.min(4, Math.log2(1 + node.load + node.workers) * 0.8)
}

/** "1.2 ms" below 10 ms, "42 ms" above (9.96 is "10 ms", not "10.0 ms"). */
export function formatRtt(ms: number): string {
  const tenths = Math.round(ms * 10) / 10
  return tenths < 10 ? `${tenths.toFixed(1)} ms` : `${Math.round(ms)} ms`
}

let context: CanvasRenderingContext2D | null | undefined
/** Text size as the browser will draw it (canvas metrics with the labels' own font). */
function measure(text: string, font: string): { width: number; height: number } {
  if (context === undefined) {
    context =
      typeof document === 'undefined' ? null : document.createElement('canvas').getContext('2d')
  }
  if (context === null) return { width: text.length * 7, height: 14 }
  context.font = font
  const m = context.measureText(text)
  const height = m.fontBoundingBoxAscent + m.fontBoundingBoxDescent
  // A little padding, so boxes that touch still leave the drawn glyphs apart.
  return { width: Math.ceil(m.width) + 4, height: Math.ceil(height > 0 ? height : 14) + 2 }
}

interface Marker extends Spot {
  node: MapNode
}

/**
 * Positions markers (projected; nearly coincident ones spread on a circle so each can be seen and
 * clicked; unlocated ones in rows at the bottom left), then places names, then RTTs.
 */
function layout(
  nodes: MapNode[],
  links: MapLink[],
  projection: GeoProjection,
  width: number,
  height: number,
  family: string
) {
  const size = new Map(nodes.map((n) => [n.name, measure(n.name, `${NAME_SIZE}px ${family}`)]))
  const markers: Marker[] = []
  const unlocated: Marker[] = []
  for (const node of nodes) {
    const p = node.geo === null ? null : projection([node.geo.lon, node.geo.lat])
    const marker = { node, id: node.name, x: p?.[0] ?? 0, y: p?.[1] ?? 0, r: radius(node) }
    markers.push(marker)
    if (p === null || p === undefined) unlocated.push(marker)
  }
  const located = markers.filter((m) => !unlocated.includes(m))
  spreadOut(located, { x: 0, y: 0, width, height: height - (unlocated.length > 0 ? ROW : 0) })
  // Rows from the bottom left, each node followed by room for its label on the right.
  let x = 8
  let y = height - ROW / 2
  for (const m of unlocated) {
    const room = 2 * m.r + HALO + 4 + (size.get(m.node.name)?.width ?? 0) + 8
    if (x > 8 && x + room > width) {
      x = 8
      y -= ROW
    }
    m.x = x + m.r
    m.y = y
    x += room
  }

  const bounds = { x: 0, y: 0, width, height }
  const obstacles = markers.map((m) => {
    const half = m.r + HALO
    return { x: m.x - half, y: m.y - half, width: 2 * half, height: 2 * half }
  })
  const names: LabelItem[] = markers.map((m) => ({
    id: `node:${m.node.name}`,
    x: m.x,
    y: m.y,
    gap: m.r + HALO + 2,
    toward: m.out,
    ...(size.get(m.node.name) ?? { width: 0, height: 0 })
  }))
  const labels = placeLabels(names, obstacles, bounds, { rings: 8 })

  const byName = new Map(markers.map((m) => [m.node.name, m]))
  const lines = links.flatMap(({ from, to, rttMs }) => {
    const a = byName.get(from)
    const b = byName.get(to)
    return a && b ? [{ key: `${from}|${to}`, a, b, text: formatRtt(rttMs) }] : []
  })
  const rtts: LabelItem[] = lines.map(({ key, a, b, text }) => ({
    id: `rtt:${key}`,
    x: (a.x + b.x) / 2,
    y: (a.y + b.y) / 2,
    gap: 8,
    centred: true,
    ...measure(text, `${RTT_SIZE}px ${family}`)
  }))
  // An RTT with no free spot near its line is left out: far away it would mislabel another line.
  const taken = [...obstacles, ...labels.values()]
  const placed = placeLabels(rtts, taken, bounds, { rings: 4, skipCrowded: true })
  for (const [id, box] of placed) labels.set(id, box)
  return { markers, lines, labels }
}

/** Text centred in its placed box (map.css centres it on both axes); none if it was left out. */
function label(box: Box | undefined, cls: string, text: string, attr: string, value: string) {
  if (box === undefined) return null
  const { x, y, width, height } = box
  const props = { class: cls, x: x + width / 2, y: y + height / 2, [attr]: value }
  return (
    <text key={value} {...props}>
      {text}
    </text>
  )
}

export function ClusterMap({ nodes, links, selected, onSelect }: ClusterMapProps) {
  const ref = useRef<HTMLDivElement>(null)
  const [width, setWidth] = useState(0)
  const [family, setFamily] = useState('system-ui, sans-serif')
  useLayoutEffect(() => {
    const el = ref.current
    if (el === null) return
    // Measure with the family the labels really get (map.css takes it from --font).
    setFamily(getComputedStyle(el).fontFamily || 'system-ui, sans-serif')
    const update = () => setWidth(Math.floor(el.clientWidth))
    update()
    const observer = new ResizeObserver(update)
    observer.observe(el)
    return () => observer.disconnect()
  }, [])
  const height = Math.max(200, Math.round(width * 0.52))
  const hasUnlocated = nodes.some((n) => n.geo === null)

  const map = useMemo(() => {
    const bottom = height - 4 - (hasUnlocated ? ROW : 0)
    const projection = geoNaturalEarth1().fitExtent(
      [
        [4, 4],
        [width - 4, bottom]
      ],
      SPHERE
    )
    const path = geoPath(projection)
    return { projection, sphere: path(SPHERE), graticule: path(GRATICULE), land: path(LAND) }
  }, [width, height, hasUnlocated])
  const drawn = useMemo(
    () => layout(nodes, links, map.projection, width, height, family),
    [nodes, links, map, width, height, family]
  )

  return (
    <div ref={ref} class="map" role="group" aria-label="Cluster map">
      {width > 0 && (
        <svg class="map-svg" width={width} height={height}>
          <path class="map-sphere" d={map.sphere ?? ''} />
          <path class="map-graticule" d={map.graticule ?? ''} />
          <path class="map-land" data-land d={map.land ?? ''} />
          {drawn.lines.map(({ key, a, b }) => (
            <line key={key} class="map-link" data-link={key} x1={a.x} y1={a.y} x2={b.x} y2={b.y} />
          ))}
          {drawn.markers.map(({ node, x, y, r }) => {
            const { name, region, health } = node
            const activate = () => onSelect(name)
            const isSelected = name === selected
            const classes = `map-node map-${health}${node.self ? ' map-self' : ''}${isSelected ? ' map-selected' : ''}`
            return (
              <g
                key={name}
                class={classes}
                data-node={name}
                data-health={health}
                role="button"
                tabindex={0}
                aria-label={`${name}, ${region}, ${health}`}
                aria-current={isSelected ? 'true' : undefined}
                onClick={activate}
                onKeyDown={(e) => {
                  if (e.key !== 'Enter' && e.key !== ' ') return
                  e.preventDefault()
                  activate()
                }}
              >
                <title>{`${name} (${region}): ${health}, load ${node.load}, ${node.workers} workers`}</title>
                <circle class="map-focus" cx={x} cy={y} r={r + HALO + 1} />
                {isSelected && <circle class="map-ring-selected" cx={x} cy={y} r={r + HALO} />}
                {node.self && <circle class="map-ring-self" cx={x} cy={y} r={r + 2.5} />}
                <circle class="map-dot" cx={x} cy={y} r={r} />
                {label(drawn.labels.get(`node:${name}`), 'map-label', name, 'data-label', name)}
              </g>
            )
          })}
          {drawn.lines.map(({ key, text }) =>
            label(drawn.labels.get(`rtt:${key}`), 'map-rtt', text, 'data-rtt', key)
          )}
        </svg>
      )}
    </div>
  )
}
