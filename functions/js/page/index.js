// A web page served by a function URL (http://page.lambda.mesh:8790/): GET answers an HTML page
// showing the request it got and a visit count kept in the warm container; the page's form
// POSTs back and gets its fields as JSON. The event is AWS's function URL payload 2.0.
let visits = 0

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

exports.handler = async (event) => {
  const { method } = event.requestContext.http
  if (event.rawPath === '/favicon.ico') return { statusCode: 404, body: '' }
  if (method === 'POST') {
    const raw = event.body ?? ''
    const body = event.isBase64Encoded ? atob(raw) : raw
    const fields = Object.fromEntries(new URLSearchParams(body))
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ fields })
    }
  }
  visits += 1
  const query = event.rawQueryString === '' ? '(none)' : event.rawQueryString
  return {
    statusCode: 200,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    cookies: [`visits=${visits}; Path=/; SameSite=Lax`],
    body: `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>swarm-lambda page</title></head>
<body>
<h1>Hello from ${escape(process.env.AWS_LAMBDA_FUNCTION_NAME)}</h1>
<p>You asked for <code id="path">${escape(event.rawPath)}</code>, query <code id="query">${escape(query)}</code>.</p>
<p>This container has served <strong id="visits">${visits}</strong> page(s); version <span id="version">${escape(process.env.AWS_LAMBDA_FUNCTION_VERSION)}</span>.</p>
<form method="post" action="/echo"><input name="word" value="swarm"><button>Send</button></form>
</body>
</html>
`
  }
}
