import t from 'tap'
import { Target } from '../../lib/gateway/request.js'

t.test('a plain path is routed as sent; any other is the WHATWG pathname', (t) => {
  const cases: [string, string, string][] = [
    // target as sent, the path routes see, the raw query
    ['/2015-03-31/functions/sum/invocations', '/2015-03-31/functions/sum/invocations', ''],
    [
      '/2015-03-31/functions/sum:$LATEST/invocations?x=1',
      '/2015-03-31/functions/sum:$LATEST/invocations',
      'x=1'
    ],
    ['/a/../b', '/b', ''],
    ['/a/%2e%2e/b?', '/b', ''],
    ['/a/%2E/b', '/a/b', ''],
    ['/a\\b', '/a/b', ''],
    ['//host/path', '/path', ''],
    ['/a b', '/a%20b', ''],
    ['/%73um', '/%73um', ''],
    ['/', '/', '']
  ]
  for (const [sent, pathname, query] of cases) {
    const target = new Target(sent)
    t.equal(target.pathname, pathname, sent)
    t.equal(target.pathname, new URL(sent, 'http://edge.invalid').pathname, `${sent}: as URL says`)
    t.equal(target.rawQuery, query, `${sent}: query`)
    t.equal(target.rawPath, sent.split('?')[0], `${sent}: raw path`)
  }
  t.end()
})

t.test('the URL is parsed once, when first asked for', (t) => {
  const target = new Target('/2015-03-31/functions/sum/invocations?Qualifier=prod')
  t.equal(target.url, target.url, 'the same URL each time')
  t.equal(target.url.searchParams.get('Qualifier'), 'prod')
  t.end()
})
