import { readFile } from 'node:fs/promises'
import t from 'tap'
import { request } from 'undici'
import { EDGE_HEADER } from '../../lib/proxy/server.js'
import { converge, eventually, startCluster } from '../support/cluster.js'
import { startCli, stop } from '../support/processes.js'

// The SwarmLambda seed's JavaScript request, byte for byte, through the proxy in front of a
// three-edge mesh: the deploy and the invoke answer as on one edge, and every edge answers the
// same once the function has replicated to it. Then the C and Rust WASI examples, the same way.

const DEPLOY =
  '{"name":"hello","handler":"index.handler","files":{"index.js":"exports.handler=async(e)=>({ok:true,e});"}}'
const EVENT = '{"name":"world"}'
const ANSWER = '{"ok":true,"e":{"name":"world"}}'
const JSON_TYPE = { 'content-type': 'application/json' }

/** A POST with a body sent as is; the answer's status, headers and text. */
async function post(url: string, path: string, body: string) {
  const res = await request(url + path, { method: 'POST', body, headers: JSON_TYPE })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}
const invoke = (url: string) => post(url, '/2015-03-31/functions/hello/invocations', EVENT)

t.test(
  "the seed's JS deploy and invoke, verbatim, through the proxy and on every edge",
  async (t) => {
    const { edges } = await startCluster(t, 3)
    await converge(edges)
    const names = edges.map((e) => e.name)
    // Only edge-a is named; the proxy discovers the others from its GET /cluster.
    const { child: proxyChild, ready } = await startCli(
      t,
      ['proxy', '--edges', new URL(edges[0]!.url).host, '--port', '0', '--region', 'us-west-sfo'],
      'proxy ready'
    )
    const proxy = ready.url as string
    t.match(proxy, /^http:\/\/127\.0\.0\.1:\d+$/, 'the proxy listens on loopback')

    const deployed = await post(proxy, '/functions', DEPLOY)
    t.equal(deployed.status, 201, deployed.text)
    const config = JSON.parse(deployed.text) as Record<string, unknown>
    t.equal(config.FunctionName, 'hello')
    t.equal(config.Runtime, 'nodejs20.x')
    t.equal(config.Handler, 'index.handler')
    t.ok(names.includes(String(deployed.headers[EDGE_HEADER])), 'an edge of the mesh deployed it')

    const through = await invoke(proxy)
    t.equal(through.status, 200)
    t.equal(through.text, ANSWER)
    t.equal(through.headers['content-type'], 'application/json')
    t.equal(through.headers['x-amz-executed-version'], '$LATEST')
    t.equal(through.headers['x-amz-function-error'], undefined)
    t.match(through.headers['x-amzn-requestid'], /^[0-9a-f-]{36}$/, 'the AWS request id passes')
    t.ok(names.includes(String(through.headers[EDGE_HEADER])), 'answered by an edge of the mesh')

    for (const edge of edges) {
      // Before the record reaches an edge it answers 404; after, it must answer exactly.
      const direct = await eventually(`hello replicated to ${edge.name}`, async () => {
        const answer = await invoke(edge.url)
        return answer.status === 404 ? undefined : answer
      })
      t.equal(direct.status, 200, `${edge.name}: 200`)
      t.equal(direct.text, ANSWER, `${edge.name}: the exact body`)
      t.equal(direct.headers['content-type'], 'application/json')
    }

    // Once every edge has it, the proxy answers exactly whichever edge it picks.
    const again = await Promise.all(Array.from({ length: 12 }, () => invoke(proxy)))
    for (const answer of again) {
      t.equal(answer.status, 200)
      t.equal(answer.text, ANSWER)
      t.ok(names.includes(String(answer.headers[EDGE_HEADER])))
    }

    // The C and Rust WASI examples (built by npm run build:wasi when the toolchains are there).
    for (const name of ['wasi-c-echo', 'wasi-rust-echo']) {
      const wasm = await readFile(
        new URL(`../../../functions/build/${name}.wasm`, import.meta.url)
      ).catch(() => null)
      if (wasm === null) {
        t.comment(`${name} is not built (npm run build:wasi needs clang, wasi-libc and rustc)`)
        continue
      }
      const body = JSON.stringify({ name, wasm_base64: wasm.toString('base64') })
      t.equal((await post(proxy, '/functions', body)).status, 201, `${name} deploys`)
      const event = '{"name":"ada","items":[1,2,3]}'
      const path = `/2015-03-31/functions/${name}/invocations`
      const tail = await request(proxy + path, {
        method: 'POST',
        body: event,
        headers: { 'x-amz-log-type': 'Tail' }
      })
      t.equal(
        await tail.body.text(),
        '{"greeting":"Hello, ada!","count":3,"sum":6,"env":null}',
        `${name}: its stdout`
      )
      const log = Buffer.from(tail.headers['x-amz-log-result'] as string, 'base64').toString()
      t.match(log, /\necho: 30 bytes\n/, `${name}: its stderr line in the log`)
      const update = await request(`${proxy}/2015-03-31/functions/${name}/configuration`, {
        method: 'PUT',
        body: JSON.stringify({ Environment: { Variables: { GREETING: 'hi' } } })
      })
      t.equal(update.statusCode, 200)
      await update.body.text()
      // Every edge sees the new environment once it has replicated: poll each.
      for (const edge of edges) {
        const seen = await eventually(`${name}'s GREETING on ${edge.name}`, async () => {
          const answer = await post(edge.url, path, event)
          return answer.text.includes('"env":"hi"') ? answer : undefined
        })
        t.equal(seen.text, '{"greeting":"Hello, ada!","count":3,"sum":6,"env":"hi"}')
      }
    }

    t.same(await stop(proxyChild), [0, null], 'the proxy exits cleanly')
    for (const edge of edges) await stop(edge.child)
  }
)
