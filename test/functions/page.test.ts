import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import t from 'tap'
import { localEdge } from '../support/local-edge.js'

// The `page` example (functions/js/page): a JS function whose URL serves an HTML page, to curl
// and to Chromium: the page shows the request, counts visits in its warm container, sets a
// cookie, and its form posts back to the function.

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p))
const source = await readFile(
  new URL('../../../functions/js/page/index.js', import.meta.url),
  'utf8'
)
const { edge, http } = await localEdge(t, { poolSize: 1 })
const port = new URL(edge.url).port

t.test('deployed, with a function URL', async (t) => {
  const deployed = await http('POST', '/functions', { name: 'page', files: { 'index.js': source } })
  t.equal(deployed.status, 201)
  const url = await http('POST', '/2021-10-31/functions/page/url', { AuthType: 'NONE' })
  t.equal(url.json().FunctionUrl, 'http://page.lambda.mesh:8790/')
})

t.test('over plain HTTP: the page, the visit count, the form post', async (t) => {
  const first = await http('GET', '/lambda-url/page/hello?x=1')
  t.equal(first.status, 200)
  t.equal(first.headers['content-type'], 'text/html; charset=utf-8')
  t.match(first.text, '<code id="path">/hello</code>, query <code id="query">x=1</code>')
  t.match(first.text, '<strong id="visits">1</strong>')
  t.strictSame(first.headers['set-cookie'], 'visits=1; Path=/; SameSite=Lax')
  const second = await http('GET', '/lambda-url/page/')
  t.match(second.text, '<strong id="visits">2</strong>', 'the warm container counted')
  const posted = await http('POST', '/lambda-url/page/echo', 'word=edge&n=2', {
    'content-type': 'application/x-www-form-urlencoded'
  })
  t.strictSame(posted.json(), { fields: { word: 'edge', n: '2' } })
})

t.test(
  'in Chromium, at http://page.lambda.mesh',
  { skip: CHROMIUM === undefined ? 'Chromium is not installed (.ci/run installs it)' : false },
  async (t) => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      // The mesh's DNS answers every *.lambda.mesh with the proxy; here the edge stands in.
      args: ['--no-sandbox', '--host-resolver-rules=MAP *.lambda.mesh 127.0.0.1']
    })
    t.teardown(() => browser.close())
    const page = await browser.newPage()
    const response = await page.goto(`http://page.lambda.mesh:${port}/from/chromium?lang=en`)
    t.equal(response?.status(), 200)
    t.equal(await page.title(), 'swarm-lambda page')
    t.equal(await page.locator('h1').innerText(), 'Hello from page')
    t.equal(await page.locator('#path').innerText(), '/from/chromium')
    t.equal(await page.locator('#query').innerText(), 'lang=en')
    t.equal(await page.locator('#version').innerText(), '$LATEST')
    const visits = Number(await page.locator('#visits').innerText())
    t.ok(visits >= 1)
    const cookies = await page.context().cookies()
    t.match(cookies, [{ name: 'visits', value: String(visits), path: '/' }])
    await Promise.all([page.waitForURL(/\/echo$/), page.locator('button').click()])
    t.strictSame(JSON.parse(await page.locator('body').innerText()), {
      fields: { word: 'swarm' }
    })
  }
)
