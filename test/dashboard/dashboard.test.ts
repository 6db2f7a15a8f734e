import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import t from 'tap'
import { request } from 'undici'
import { converge, eventually, http, startCluster } from '../support/cluster.js'
import { stop } from '../support/processes.js'
import { SUM_EXECUTE, wat } from '../wasm/wat.js'

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
const SUM = wat(`(module (memory (export "memory") 1) ${SUM_EXECUTE})`)

t.test('the dashboard is served by the edge itself, with no CDN', async (t) => {
  const { edges } = await startCluster(t, 1)
  const page = await request(`${edges[0]!.url}/`)
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  const html = await page.body.text()
  t.notMatch(
    html,
    /<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.w3\.org)/,
    'nothing fetched from elsewhere'
  )
  t.match(html, /new EventSource\('\/events'\)/)
  t.same(await stop(edges[0]!.child), [0, null])
})

t.test(
  'in Chromium: three edges, a function, and a job that appears and completes',
  { skip: CHROMIUM === undefined ? 'Chromium is not installed (.ci/run installs it)' : false },
  async (t) => {
    const { edges } = await startCluster(t, 3)
    await converge(edges)
    const [a] = edges
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    t.teardown(() => browser.close())
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${a!.url}/`)

    await page.locator('[data-node]').nth(2).waitFor()
    const names = await page
      .locator('[data-node]')
      .evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-node')).sort())
    t.same(names, ['edge-a', 'edge-b', 'edge-c'], 'three edges on the map')
    t.equal(await page.locator('[data-link]').count(), 2, 'links to the two members')

    t.equal(
      (
        await http(a!.url, 'POST', '/functions', {
          name: 'sum',
          wasm_base64: Buffer.from(SUM).toString('base64')
        })
      ).status,
      201
    )
    await page.locator('[data-function="sum"]').waitFor()
    const job = await http(a!.url, 'POST', '/api/v1/jobs', {
      function: 'sum',
      dataset: Array.from({ length: 1_000 }, (_, i) => i + 1)
    })
    t.equal(job.status, 202)
    const id = job.body.job_id as string
    const row = page.locator(`[data-job="${id}"]`)
    await row.waitFor()
    await page.locator(`[data-job="${id}"][data-status="completed"]`).waitFor()
    t.match(await row.innerText(), /sum\s+completed\s+(\d+) \/ \1/, 'completed, every shard done')
    await eventually('the job is done', async () => {
      const got = await http(a!.url, 'GET', `/api/v1/jobs/${id}`)
      return got.status === 200 ? got : undefined
    })
    t.same(errors, [], 'no console errors')
    for (const edge of edges) t.same(await stop(edge.child), [0, null])
  }
)
