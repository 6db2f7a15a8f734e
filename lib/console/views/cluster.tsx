import { useState } from 'preact/hooks'
import type { ConsoleCluster } from '../../wire/console'
import { duration, relative, uptime } from '../format'
import type { KnownNode } from './common'
import { ClusterMap, type MapLink, type MapNode } from './map'

/**
 * A member not heard for this long is shown unhealthy before its edge counts a missed heartbeat
 * (heartbeats go every 2 s and time out after 2 s more).
 */
const SILENT_MS = 3_500
const GOSSIP_SILENT_MS = 10_000

/** A node's health as the map colours it: down (gone from the view), unhealthy, or healthy. */
function healthOf(node: KnownNode, at: number): MapNode['health'] {
  if (node.down) return 'down'
  if (node.self) return 'healthy'
  // A member known by gossip was heard by another edge, a heartbeat and a gossip round ago.
  const limit = node.direct ? SILENT_MS : GOSSIP_SILENT_MS
  const silent = node.lastSeen !== undefined && at - node.lastSeen > limit
  return node.healthy === false || silent ? 'unhealthy' : 'healthy'
}

/**
 * The cluster: every edge on a world map at its region, coloured by health, sized by load, with
 * the links this edge has and their round trips; a table of the same; an edge's details on click.
 */
export function ClusterView(props: {
  nodes: KnownNode[]
  cluster: ConsoleCluster | null
  at: number
  version: string
}) {
  const [selected, setSelected] = useState<string | null>(null)
  const { nodes, cluster } = props
  const names = new Map(nodes.map((n) => [n.id, n.name]))
  const mapNodes: MapNode[] = nodes.map((n) => ({
    name: n.name,
    region: n.region,
    geo: n.geo,
    health: healthOf(n, props.at),
    self: n.self,
    load: n.load,
    workers: n.workers
  }))
  const links: MapLink[] = (cluster?.links ?? []).flatMap((l) => {
    const from = names.get(l.from)
    const to = names.get(l.to)
    return from === undefined || to === undefined ? [] : [{ from, to, rttMs: l.rttMs }]
  })
  const chosen = nodes.find((n) => n.name === selected) ?? null
  return (
    <section aria-labelledby="cluster-title">
      <h2 id="cluster-title">Cluster</h2>
      <div class="map-panel">
        <ClusterMap nodes={mapNodes} links={links} selected={selected} onSelect={setSelected} />
        {chosen === null ? null : (
          <Details
            node={chosen}
            health={healthOf(chosen, props.at)}
            version={chosen.self ? props.version : null}
            onClose={() => setSelected(null)}
          />
        )}
      </div>
      <table class="grid" data-table="nodes">
        <caption>Edges ({nodes.length})</caption>
        <thead>
          <tr>
            <th scope="col">Edge</th>
            <th scope="col">Region</th>
            <th scope="col">Health</th>
            <th scope="col">Load</th>
            <th scope="col">RTT</th>
          </tr>
        </thead>
        <tbody>
          {nodes.map((n) => (
            <tr data-row={n.name}>
              <td>
                <button type="button" class="link-button" onClick={() => setSelected(n.name)}>
                  {n.name}
                </button>
                {n.self ? ' (this edge)' : ''}
              </td>
              <td>{n.region}</td>
              <td>
                <span class={`badge health-${healthOf(n, props.at)}`}>{healthOf(n, props.at)}</span>
              </td>
              <td>
                {n.load} / {n.workers}
              </td>
              <td>{n.rttMs === undefined ? '—' : duration(n.rttMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Details(props: {
  node: KnownNode
  health: MapNode['health']
  /** The software version (known for the serving edge). */
  version: string | null
  onClose: () => void
}) {
  const { node, onClose } = props
  return (
    <aside class="details" aria-label={`${node.name} details`} data-details={node.name}>
      <header>
        <h3>{node.name}</h3>
        <button type="button" class="quiet" aria-label="Close details" onClick={onClose}>
          ✕
        </button>
      </header>
      <dl>
        <dt>Health</dt>
        <dd data-field="health">{props.health}</dd>
        <dt>Region</dt>
        <dd>{node.region}</dd>
        <dt>Uptime</dt>
        <dd>{node.down ? '—' : uptime(node.startedAt)}</dd>
        <dt>Workers</dt>
        <dd>{node.workers}</dd>
        <dt>Queue</dt>
        <dd data-field="load">{node.load} queued or running</dd>
        {node.self ? null : (
          <>
            <dt>RTT</dt>
            <dd>{node.rttMs === undefined ? '—' : duration(node.rttMs)}</dd>
            <dt>Strikes</dt>
            <dd>{(node.strikes ?? 0).toFixed(1)}</dd>
            <dt>Last heard</dt>
            <dd>{node.lastSeen === undefined ? '—' : relative(node.lastSeen)}</dd>
          </>
        )}
        <dt>Version</dt>
        <dd>{props.version ?? '—'}</dd>
        <dt>Gateway</dt>
        <dd>
          <code>{node.httpUrl}</code>
        </dd>
        <dt>Id</dt>
        <dd>
          <code>{node.id === '' ? '—' : `${node.id.slice(0, 16)}…`}</code>
        </dd>
      </dl>
    </aside>
  )
}
