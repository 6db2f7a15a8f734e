import { connect, createServer } from 'node:net'

/**
 * `node relay.js SOCKET HOST PORT`: accepts connections on a Unix socket and pipes each to
 * HOST:PORT. Started inside a network namespace, it lets a test in the host namespace reach a
 * server that listens only there (a socket path is a file: it crosses network namespaces).
 * Prints `{"msg":"relay ready"}` once listening; runs until killed.
 */
const [socket, host, port] = process.argv.slice(2)
if (socket === undefined || host === undefined || port === undefined) {
  console.error('usage: relay SOCKET HOST PORT')
  process.exit(2)
}
const server = createServer((inbound) => {
  const outbound = connect(Number(port), host)
  inbound.pipe(outbound).pipe(inbound)
  // Either side failing ends both; the client sees its connection close.
  inbound.on('error', () => outbound.destroy())
  outbound.on('error', () => inbound.destroy())
})
server.listen(socket, () => console.log(JSON.stringify({ msg: 'relay ready', socket })))
