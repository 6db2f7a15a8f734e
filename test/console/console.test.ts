import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { request } from 'undici'
import { mandelbrotRef } from '../functions/reference.js'
import { eventually } from '../support/cluster.js'
import { startCli, stop } from '../support/processes.js'

// The console in headless Chromium, on the mesh `npm start` runs (`swarm-lambda dev`, on ports
// of its own): sign in with the dev token, deploy a JS handler typed into the editor and invoke
// it from the Test tab, upload mandelbrot.wasm and draw a sharded render, check the map, kill an
// edge, and take the screenshots (light and dark, 1280 and 390 px wide).

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
const MANDELBROT = new URL('../../../functions/build/mandelbrot.wasm', import.meta.url)
/** Where the screenshots go (CONSOLE_SCREENSHOTS to put them elsewhere, e.g. for the README). */
const SHOTS =
  process.env.CONSOLE_SCREENSHOTS ?? join(tmpdir(), `swarm-lambda-console-${process.pid}`)
const PORTS = { base: 18787, proxy: 18790, dns: 15353 }

/** The colour the console gives a mandelbrot pixel (lib/console/views/answer.tsx). */
function mandelbrotColor(i: number, max: number): [number, number, number] {
  if (i >= max) return [0, 0, 0]
  const t = Math.sqrt(Math.sqrt(i / max))
  return [Math.round(255 * Math.min(1, 2 * t)), Math.round(255 * t), Math.round(255 * (1 - t))]
}

/** Boxes of every element matching a selector, in page pixels. */
function boxes(page: Page, selector: string) {
  return page.locator(selector).evaluateAll((elements) =>
    elements.map((e) => {
      const r = e.getBoundingClientRect()
      return {
        id: e.getAttribute('data-label') ?? e.getAttribute('data-rtt') ?? '',
        x: r.x,
        y: r.y,
        w: r.width,
        h: r.height
      }
    })
  )
}

t.test(
  'the console on a 3-edge mesh, in Chromium',
  { skip: CHROMIUM === undefined ? 'Chromium is not installed (.ci/run installs it)' : false },
  async (t) => {
    const { child, ready } = await startCli(
      t,
      [
        'dev',
        '--state-dir',
        t.testdir(),
        '--base-port',
        String(PORTS.base),
        '--proxy-port',
        String(PORTS.proxy),
        '--dns-port',
        String(PORTS.dns)
      ],
      'mesh ready',
      { SWARMLAMBDA_LOG_LEVEL: 'warn' }
    )
    const edges = ready.edges as { name: string; url: string; pid: number }[]
    t.teardown(() => {
      for (const e of edges) {
        try {
          process.kill(e.pid, 'SIGKILL')
        } catch {
          // already gone
        }
      }
    })
    const token = (ready.credentials as { token: string }).token
    const a = edges[0]!.url
    await eventually('every edge lists the other two', async () => {
      for (const e of edges) {
        const cluster = (await (await request(`${e.url}/cluster`)).body.json()) as {
          nodes: { healthy?: boolean }[]
        }
        if (cluster.nodes.length !== 3 || cluster.nodes.some((n) => n.healthy === false)) return
      }
      return true
    })

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    t.teardown(() => browser.close())
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
    const page = await context.newPage()
    const errors: string[] = []
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (err) => errors.push(err.message))
    await page.goto(`${a}/`)

    await t.test('anonymous: the map, and nothing the open endpoints do not show', async (t) => {
      await page.locator('[data-node]').nth(2).waitFor()
      await page.click('[data-tab="functions"]')
      await page.locator('[data-needs-key]').first().waitFor()
      t.equal(await page.locator('[data-function]').count(), 0, 'no function listed')
      t.equal(await page.locator('[data-deploy]').count(), 0, 'no deploy form')
      t.equal(await page.locator('[data-banner="open"]').count(), 0, 'the edge is not open')
    })

    await t.test('sign in with the dev token', async (t) => {
      await page.click('[data-sign-in]')
      await page.fill('input[name="token"]', 'nobody:wrong-secret')
      await page.click('.signin-form button[type="submit"]')
      t.equal(
        await page.locator('.signin-form [role="alert"]').innerText(),
        'AccessDeniedException: Access denied: the bearer token is not an access key of this cluster'
      )
      await page.fill('input[name="token"]', token)
      await page.click('.signin-form button[type="submit"]')
      await page.locator(`[data-signed-in="${token.split(':')[0]}"]`).waitFor()
      t.equal(
        await page.evaluate("sessionStorage.getItem('swarm-lambda.key')"),
        token,
        'the key is kept in this tab only'
      )
      await page.locator('[data-deploy]').waitFor()
    })

    await t.test(
      'deploy a JS handler typed into the editor, invoke it from the Test tab',
      async (t) => {
        await page.fill('[data-deploy] input[name="name"]', 'greeter')
        await page.fill(
          '[data-deploy] textarea[name="source"]',
          [
            'exports.handler = async (event) => {',
            "  console.log('hello from the console', event.n)",
            '  return { greeting: `hi ${event.name}`, twice: event.n * 2 }',
            '}'
          ].join('\n')
        )
        await page.click('[data-deploy] button[type="submit"]')
        await page.locator('[data-deploy-result="ok"]').waitFor()
        await page.locator('[data-function="greeter"]').waitFor()

        await page.click('[data-function="greeter"] h3 a')
        await page.locator('[data-event]').waitFor()
        await page.fill('[data-event]', '{"name": "ada", "n": 21}')
        await page.click('[data-invoke]')
        await page.locator('[data-result-status]').waitFor()
        t.equal(await page.locator('[data-result-status]').innerText(), '200')
        t.same(JSON.parse(await page.locator('[data-answer]').innerText()), {
          greeting: 'hi ada',
          twice: 42
        })
        t.match(await page.locator('[data-log]').innerText(), /hello from the console 21/)
        t.match(await page.locator('[data-log]').innerText(), /^START RequestId: /)

        // A saved event comes back after a reload.
        await page.fill('input[aria-label="Name to save this event under"]', 'ada')
        await page.click('[data-save-event]')
        await page.reload()
        await page.locator('[data-event]').waitFor()
        t.same(JSON.parse(await page.locator('[data-event]').inputValue()), { name: 'ada', n: 21 })
      }
    )

    await t.test('upload mandelbrot.wasm, render it sharded, draw the image', async (t) => {
      await page.click('[data-tab="functions"]')
      await page.fill('[data-deploy] input[name="name"]', 'mandelbrot')
      await page.check('[data-deploy] input[value="upload"]')
      await page.setInputFiles('[data-deploy] input[type="file"]', MANDELBROT.pathname)
      await page.selectOption('[data-deploy] select[name="reduce"]', 'concat')
      await page.fill('[data-deploy] input[name="headerItems"]', '7')
      await page.fill('[data-deploy] input[name="timeout"]', '30')
      await page.fill('[data-deploy] input[name="memory"]', '64')
      await page.click('[data-deploy] button[type="submit"]')
      await page.locator('[data-deploy-result="ok"]').waitFor()
      await page.locator('[data-function="mandelbrot"]').waitFor()

      const [width, height, maxIter] = [240, 180, 3000]
      const dataset = [width, height, maxIter, -2_000_000, -1_200_000, 1_000_000, 1_200_000]
      dataset.push(...Array.from({ length: height }, (_, i) => i))
      await page.goto(`${a}/#/test/mandelbrot`)
      await page.locator('[data-event]').waitFor()
      await page.fill('[data-event]', JSON.stringify({ dataset }))
      // Placement learns the function's cost from its first calls: invoke until the shards
      // span two edges (each call is a full render, checked the same way).
      let edgesUsed: string[] = []
      for (let round = 0; round < 6 && edgesUsed.length < 2; round++) {
        await page.click('[data-invoke]')
        await page.locator('[data-invoke]:not([disabled])').waitFor()
        t.equal(await page.locator('[data-result-status]').innerText(), '200')
        edgesUsed = await page
          .locator('[data-legend-edge]')
          .evaluateAll((l) => l.map((e) => e.getAttribute('data-legend-edge') as string))
      }
      t.ok(edgesUsed.length >= 2, `the shard strip names ${edgesUsed.join(', ')}`)
      t.ok(
        edgesUsed.every((e) => edges.some((x) => x.name === e)),
        'edges of this mesh'
      )

      // (A string: the test compiles without the DOM's types.)
      const pixels = (await page.evaluate(`(() => {
        const c = document.querySelector('canvas[data-render]')
        const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
        return { width: c.width, height: c.height, data: Array.from(data) }
      })()`)) as { width: number; height: number; data: number[] }
      t.same([pixels.width, pixels.height], [width, height])
      const expected = mandelbrotRef(Int32Array.from(dataset))
      let wrong = 0
      expected.forEach((count, p) => {
        const [r, g, b] = mandelbrotColor(count, maxIter)
        const got = pixels.data.slice(p * 4, p * 4 + 4)
        if (got[0] !== r || got[1] !== g || got[2] !== b || got[3] !== 255) wrong++
      })
      t.equal(wrong, 0, `every one of the ${expected.length} pixels is the reference's colour`)
      await mkdir(SHOTS, { recursive: true })
      await page.screenshot({ path: join(SHOTS, 'console-test-1280-light.png'), fullPage: false })
    })

    await t.test('the map: land, three edges apart, no label over another', async (t) => {
      await page.click('[data-tab="cluster"]')
      await page.locator('[data-node]').nth(2).waitFor()
      const land = await page
        .locator('path[data-land]')
        .evaluateAll((paths) => paths.map((p) => (p.getAttribute('d') ?? '').length))
      t.ok(land.length >= 1 && Math.max(...land) > 5_000, 'land outlines are drawn')
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 })
        await page.locator('[data-rtt]').nth(1).waitFor()
        const nodes = await page.locator('[data-node] circle').evaluateAll((circles) =>
          circles.map((c) => {
            const r = c.getBoundingClientRect()
            return `${Math.round(r.x + r.width / 2)},${Math.round(r.y + r.height / 2)}`
          })
        )
        t.equal(new Set(nodes).size, 3, `${width} px: three edges at distinct positions`)
        const labels = [
          ...(await boxes(page, '[data-label]')),
          ...(await boxes(page, '[data-rtt]'))
        ]
        t.equal(labels.length, 5, `${width} px: three names and two round trips`)
        const overlapping = labels.flatMap((p, i) =>
          labels
            .slice(i + 1)
            .filter((q) => p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h)
            .map((q) => `${p.id} × ${q.id}`)
        )
        t.same(overlapping, [], `${width} px: no two labels overlap`)
      }
      await page.setViewportSize({ width: 1280, height: 900 })
      await page.click('[data-node="edge-b"]')
      t.match(await page.locator('[data-details="edge-b"]').innerText(), /us-east-iad/)
      // By keyboard: an edge takes focus and Enter opens its details.
      await page.focus('[data-node="edge-c"]')
      await page.keyboard.press('Enter')
      t.match(await page.locator('[data-details="edge-c"]').innerText(), /eu-central-fra/)
      // The theme toggle: auto → light → dark, on the page's root.
      await page.click('[data-theme-toggle]')
      t.equal(await page.evaluate('document.documentElement.dataset.theme'), 'light')
      await page.click('[data-theme-toggle]')
      t.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark')
      await page.click('[data-theme-toggle]')
      t.equal(await page.evaluate('document.documentElement.dataset.theme ?? null'), null)
    })

    await t.test('jobs with their history; a schedule disabled from the console', async (t) => {
      const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
      const event = await request(`${a}/2015-03-31/functions/greeter/invocations`, {
        method: 'POST',
        headers: { ...auth, 'x-amz-invocation-type': 'Event' },
        body: JSON.stringify({ name: 'later', n: 1 })
      })
      t.equal(event.statusCode, 202)
      await event.body.dump()
      const id = event.headers['x-swarmlambda-job-id'] as string
      await page.click('[data-tab="jobs"]')
      const row = page.locator(`[data-job="${id}"][data-status="completed"]`)
      await row.waitFor()
      t.match(
        await row.innerText(),
        /^[0-9a-f]{12}\tgreeter\tcompleted\t 1 \/ 1\tedge-a\tedge-\w\t1\t\d+ s ago$/
      )
      await row.locator('button').click()
      const details = page.locator(`[data-job-details="${id}"]`)
      await details.waitFor()
      t.match(await details.innerText(), /accepted on edge-a[\s\S]*completed on edge-/)
      t.match(await details.innerText(), /"greeting": "hi later"/)

      const created = await request(`${a}/schedules/nightly`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          ScheduleExpression: 'cron(0 3 * * ? *)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: 'arn:aws:lambda:us-west-sfo:000000000000:function:greeter',
            RoleArn: 'arn:aws:iam::000000000000:role/x'
          }
        })
      })
      t.equal(created.statusCode, 200)
      await created.body.dump()
      await page.click('[data-tab="schedules"]')
      const schedule = page.locator('[data-schedule="default/nightly"]')
      await schedule.waitFor()
      t.match(
        await schedule.innerText(),
        /nightly\s+cron\(0 3 \* \* \? \*\)\s+greeter\s+enabled\s+in \d+/
      )
      await schedule.locator('button').click()
      await page.locator('[data-schedule="default/nightly"][data-state="DISABLED"]').waitFor()
      const got = await request(`${a}/schedules/nightly`, { headers: auth })
      t.match(await got.body.json(), { State: 'DISABLED', ScheduleExpression: 'cron(0 3 * * ? *)' })
    })

    await t.test(
      'screenshots at 1280 and 390 px, light and dark; no sideways scroll',
      async (t) => {
        await mkdir(SHOTS, { recursive: true })
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme })
          for (const width of [1280, 390]) {
            await page.setViewportSize({ width, height: width === 390 ? 844 : 900 })
            for (const tab of ['cluster', 'functions', 'test', 'jobs', 'schedules']) {
              await page.click(`[data-tab="${tab}"]`)
              await page.locator(`#${tab}-title`).waitFor()
              // Elements reaching past the viewport's right side (none: no sideways scroll).
              const over = (await page.evaluate(`[...document.querySelectorAll('body *')]
                .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
                .filter((e) => !e.closest('.scroll'))
                .map((e) => e.tagName.toLowerCase() + '.' + e.getAttribute('class') + ' ' + Math.round(e.getBoundingClientRect().right))`)) as string[]
              t.same(over, [], `${scheme} ${width} px ${tab}: nothing wider than the page`)
            }
            await page.click('[data-tab="cluster"]')
            await page.locator('[data-node]').nth(2).waitFor()
            await page.screenshot({
              path: join(SHOTS, `console-${width}-${scheme}.png`),
              fullPage: true
            })
          }
        }
        await page.emulateMedia({ colorScheme: 'light' })
        t.comment(`screenshots in ${SHOTS}`)
        t.ok(existsSync(join(SHOTS, 'console-390-dark.png')))
      }
    )

    await t.test('kill an edge: the map shows it unhealthy within 5 s', async (t) => {
      await page.click('[data-tab="cluster"]')
      const c = edges.find((e) => e.name === 'edge-c')!
      process.kill(c.pid, 'SIGKILL')
      await page
        .locator('[data-node="edge-c"]:not([data-health="healthy"])')
        .waitFor({ timeout: 5_000 })
      t.pass('edge-c is shown unhealthy')
      t.equal(await page.locator('[data-node="edge-a"]').getAttribute('data-health'), 'healthy')
    })

    t.same(errors, [], 'no console error in the page at any point')
    await page.close()
    const [code] = await stop(child, 'SIGINT')
    t.equal(code, 0, 'dev stops cleanly')
  }
)
