/**
 * Placement for the cluster map (views/map.tsx): markers that share a point spread apart, then
 * greedy label placement. Kept free of the DOM so it can be reasoned about (and tested) with plain
 * numbers. Greedy is enough here: a cluster has tens of edges, not thousands, and a stable
 * first-fit keeps labels from jumping between updates.
 */

/** An axis-aligned box in pixels; (x, y) is its top-left corner. */
export interface Box {
  x: number
  y: number
  width: number
  height: number
}

/** A label to place: (x, y) is its anchor (e.g. a marker's centre), width × height its text. */
export interface LabelItem extends Box {
  id: string
  /**
   * How far the box keeps from the anchor (a marker's radius plus a margin), and the step of the
   * farther tries. Default 4.
   */
  gap?: number
  /** Try the box centred on the anchor first: a line's midpoint wants its label right on it. */
  centred?: boolean
  /**
   * A direction (any length) to try first, the others by how close they come to it: a marker
   * spread around a shared point wants its label on the outside.
   */
  toward?: { x: number; y: number }
}

/** Whether two boxes share some area (boxes that only touch do not overlap). */
export function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}

function overlapArea(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)
  return w > 0 && h > 0 ? w * h : 0
}

function inside(a: Box, b: Box): boolean {
  return (
    a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height
  )
}

/** Right, left, above, below, then the diagonals: the order a reader expects a label in. */
const DIRECTIONS: readonly (readonly [number, number])[] = [
  [1, 0],
  [-1, 0],
  [0, -1],
  [0, 1],
  [1, -1],
  [-1, -1],
  [1, 1],
  [-1, 1]
]

/** The boxes to try for an item, best first: each direction at 1×, 2×, … `rings`× the gap. */
export function candidates(item: LabelItem, rings = 3): Box[] {
  const { x, y, width, height } = item
  const gap = item.gap ?? 4
  const out: Box[] = item.centred ? [{ x: x - width / 2, y: y - height / 2, width, height }] : []
  const { toward } = item
  const closeness = ([dx, dy]: readonly [number, number]) =>
    toward === undefined ? 0 : (dx * toward.x + dy * toward.y) / Math.hypot(dx, dy)
  // Array.prototype.sort is stable: without `toward`, the order stays as listed.
  const directions = [...DIRECTIONS].sort((a, b) => closeness(b) - closeness(a))
  for (let k = 1; k <= rings; k++) {
    for (const [dx, dy] of directions) {
      // A diagonal moves by d/√2 on each axis so its corner stays about d from the anchor.
      const d = gap * k * (dx !== 0 && dy !== 0 ? Math.SQRT1_2 : 1)
      const left = dx > 0 ? x + d : dx < 0 ? x - d - width : x - width / 2
      const top = dy > 0 ? y + d : dy < 0 ? y - d - height : y - height / 2
      out.push({ x: left, y: top, width, height })
    }
  }
  return out
}

export interface PlaceOptions {
  /** How many distances (1×, 2×, … the gap) to try. Default 3. */
  rings?: number
  /** Leave out an item that fits nowhere instead of overlapping (for labels that can go). */
  skipCrowded?: boolean
}

/**
 * Places each item in turn at its first candidate that overlaps no label placed before it, no
 * obstacle, and stays inside `bounds`; when none does, at the candidate with the least overlap
 * (area outside the bounds counted as overlap), so a crowded map degrades instead of dropping
 * labels, unless `skipCrowded`. Returns the chosen text box per item id.
 */
export function placeLabels(
  items: readonly LabelItem[],
  obstacles: readonly Box[],
  bounds: Box,
  { rings = 3, skipCrowded = false }: PlaceOptions = {}
): Map<string, Box> {
  const placed = new Map<string, Box>()
  const taken: Box[] = [...obstacles]
  for (const item of items) {
    let best: Box | undefined
    let bestCost = Infinity
    for (const box of candidates(item, rings)) {
      let cost = inside(box, bounds) ? 0 : box.width * box.height - overlapArea(box, bounds)
      for (const other of taken) cost += overlapArea(box, other)
      if (cost < bestCost) {
        best = box
        bestCost = cost
        if (cost === 0) break
      }
    }
    if (best === undefined || (skipCrowded && bestCost > 0)) continue
    placed.set(item.id, best)
    taken.push(best)
  }
  return placed
}

/** A marker to keep apart from the others: centre (x, y), drawn radius r. */
export interface Spot {
  id: string
  x: number
  y: number
  r: number
  /** Set by spreadOut: the direction away from the point it was spread around. */
  out?: { x: number; y: number }
}

/** Room kept around each spot (its rings, and air between neighbours). */
const MARGIN = 3

/** Spots around their mean point: on a circle of radius `spread`, covering `extent`. */
function makeGroup(members: Spot[], near: number) {
  const x = members.reduce((s, m) => s + m.x, 0) / members.length
  const y = members.reduce((s, m) => s + m.y, 0) / members.length
  const r = Math.max(...members.map((m) => m.r + MARGIN))
  // Enough circumference for every spot side by side.
  const spread =
    members.length < 2 ? 0 : Math.max(near, (members.length * (2 * r + 4)) / (2 * Math.PI))
  return { x, y, spread, extent: spread + r, members }
}

/**
 * Moves spots that would cover each other onto a small circle (radius at least `near`) around
 * their mean point, ordered by id, so each can be seen and clicked. Groups merge until none
 * collide, since a spread group takes more room than its points did (six edges in Frankfurt and
 * two in Amsterdam become one circle). A group is kept inside `bounds` as a whole, with a label's
 * height to spare (clamping each spot would squash the circle).
 */
export function spreadOut(spots: Spot[], bounds: Box, near = 14): void {
  const groups = spots.map((m) => makeGroup([m], near))
  for (let merged = true; merged;) {
    merged = false
    for (let i = 0; i < groups.length && !merged; i++) {
      for (let j = i + 1; j < groups.length && !merged; j++) {
        const a = groups[i]!
        const b = groups[j]!
        if (Math.hypot(a.x - b.x, a.y - b.y) < a.extent + b.extent) {
          groups.splice(j, 1)
          groups[i] = makeGroup([...a.members, ...b.members], near)
          merged = true
        }
      }
    }
  }
  for (const { x, y, spread, extent, members } of groups) {
    const pad = spread > 0 ? extent + 16 : extent
    const cx = Math.min(Math.max(x, bounds.x + pad), bounds.x + bounds.width - pad)
    const cy = Math.min(Math.max(y, bounds.y + pad), bounds.y + bounds.height - pad)
    members.sort((a, b) => a.id.localeCompare(b.id))
    members.forEach((m, i) => {
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / members.length
      m.x = cx + spread * Math.cos(angle)
      m.y = cy + spread * Math.sin(angle)
      if (members.length > 1) m.out = { x: Math.cos(angle), y: Math.sin(angle) }
    })
  }
}
