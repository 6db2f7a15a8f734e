import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Starts an HTTP server listening and resolves once it does (rejects if the port is taken). */
export async function listen(server: Server, port: number, host: string): Promise<void> {
  server.listen(port, host)
  await once(server, 'listening')
}

/** Where a listening server is bound (port 0 picks one). */
export function boundAddress(server: Server): { host: string; port: number } {
  const address = server.address() as AddressInfo
  return { host: address.address, port: address.port }
}
