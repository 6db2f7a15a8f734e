/**
 * The dashboard page: one self-contained HTML document (no CDN, no build step). It follows
 * GET /events (server-sent events: one `state` message per second) and draws the cluster on an
 * equirectangular map (edges at their regions, links labelled with RTT, health by colour), the
 * functions, and the recent jobs with their shards' progress. Elements carry `data-*` attributes
 * so tests (and scripts) can read the page.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swarm-lambda</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; --ok: #2e9e5b; --bad: #d64545; --self: #3b6fd8; --muted: #888; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; padding: 16px 24px; }
  h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 20px 0 8px; }
  #status { color: var(--muted); }
  svg { width: 100%; max-width: 960px; height: auto; border: 1px solid #8884; border-radius: 6px; }
  .land { fill: #8881; stroke: #8883; }
  .link { stroke: #8888; stroke-width: 1.5; }
  .node circle { stroke: #fff; stroke-width: 2; }
  .node text, .link-label { font-size: 11px; fill: currentColor; }
  table { border-collapse: collapse; min-width: 480px; }
  th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #8883; }
  .bar { width: 120px; height: 8px; background: #8883; border-radius: 4px; overflow: hidden; }
  .bar > div { height: 100%; background: var(--self); }
  .completed { color: var(--ok); } .failed, .partial { color: var(--bad); }
</style>
</head>
<body>
<h1>swarm-lambda</h1>
<div id="status">connecting…</div>
<h2>Cluster</h2>
<svg id="map" viewBox="0 0 960 480" role="img" aria-label="cluster map">
  <rect class="land" x="0" y="0" width="960" height="480"></rect>
  <g id="links"></g><g id="nodes"></g>
</svg>
<h2>Functions</h2>
<table><thead><tr><th>name</th><th>version</th><th>ABI</th><th>reduce</th><th>header</th><th>size</th></tr></thead>
<tbody id="functions"></tbody></table>
<h2>Jobs</h2>
<table><thead><tr><th>job</th><th>function</th><th>status</th><th>shards</th><th></th></tr></thead>
<tbody id="jobs"></tbody></table>
<script>
'use strict'
const svg = 'http://www.w3.org/2000/svg'
const $ = (id) => document.getElementById(id)
const x = (lon) => ((lon + 180) / 360) * 960
const y = (lat) => ((90 - lat) / 180) * 480
function el(name, attrs, text) {
  const e = document.createElementNS(svg, name)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v))
  if (text !== undefined) e.textContent = text
  return e
}
function cell(text, attrs) {
  const td = document.createElement('td')
  td.textContent = text
  for (const [k, v] of Object.entries(attrs || {})) td.setAttribute(k, String(v))
  return td
}
function drawCluster(cluster) {
  const nodes = $('nodes'), links = $('links')
  nodes.replaceChildren(); links.replaceChildren()
  const at = new Map()
  cluster.nodes.forEach((n, i) => {
    const geo = n.geo || { lat: -60, lon: -170 + i * 30 }
    // edges in one region are fanned out so each stays visible
    const same = [...at.values()].filter((p) => p.lat === geo.lat && p.lon === geo.lon).length
    at.set(n.id, { x: x(geo.lon) + same * 14, y: y(geo.lat) + same * 14, lat: geo.lat, lon: geo.lon })
  })
  for (const link of cluster.links) {
    const a = at.get(link.from), b = at.get(link.to)
    if (!a || !b) continue
    links.append(el('line', { class: 'link', x1: a.x, y1: a.y, x2: b.x, y2: b.y, 'data-link': link.to }))
    links.append(el('text', { class: 'link-label', x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4 }, link.rttMs.toFixed(1) + ' ms'))
  }
  cluster.nodes.forEach((n, i) => {
    const p = at.get(n.id)
    const healthy = n.self || n.healthy
    const g = el('g', { class: 'node', 'data-node': n.name, 'data-healthy': healthy, transform: 'translate(' + p.x + ',' + p.y + ')' })
    g.append(el('circle', { r: 9, fill: n.self ? 'var(--self)' : healthy ? 'var(--ok)' : 'var(--bad)' }))
    // labels alternate above and below their dots, so neighbours do not overwrite each other
    g.append(el('text', { x: 12, y: i % 2 === 0 ? -10 : 18 }, n.name + ' · ' + n.region + ' · load ' + n.load))
    nodes.append(g)
  })
}
function drawFunctions(functions) {
  $('functions').replaceChildren(...functions.map((f) => {
    const tr = document.createElement('tr')
    tr.dataset.function = f.name
    tr.append(cell(f.name), cell(f.version), cell(f.abi), cell(f.reduce), cell(f.headerItems), cell(f.size + ' B'))
    return tr
  }))
}
function drawJobs(jobs) {
  $('jobs').replaceChildren(...jobs.map((j) => {
    const tr = document.createElement('tr')
    tr.dataset.job = j.id
    tr.dataset.status = j.status
    const bar = document.createElement('div'); bar.className = 'bar'
    const fill = document.createElement('div')
    fill.style.width = (j.total > 0 ? Math.round((100 * j.done) / j.total) : 0) + '%'
    bar.append(fill)
    const progress = document.createElement('td'); progress.append(bar)
    tr.append(cell(j.id.slice(0, 12)), cell(j.function), cell(j.status, { class: j.status }), cell(j.done + ' / ' + j.total), progress)
    return tr
  }))
}
const events = new EventSource('/events')
events.addEventListener('state', (message) => {
  const state = JSON.parse(message.data)
  $('status').textContent = 'live · ' + state.cluster.nodes.length + ' edge(s) · ' + new Date(state.at).toLocaleTimeString()
  drawCluster(state.cluster)
  drawFunctions(state.functions)
  drawJobs(state.jobs)
})
events.addEventListener('error', () => { $('status').textContent = 'reconnecting…' })
</script>
</body>
</html>
`
