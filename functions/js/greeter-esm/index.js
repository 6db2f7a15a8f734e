import { loadConfig } from './lib/config.js'
import { greet } from './lib/greet.js'

const config = await loadConfig()

export const handler = async (event, context) => {
  const name = event.name ?? config.name
  console.log(`greeting ${name} (request ${context.awsRequestId})`)
  return { message: greet(config.greeting, name) }
}
