import defaults from '../defaults.json' with { type: 'json' }

// Stands in for fetching settings from somewhere slow: awaited once, when a container starts.
export async function loadConfig() {
  await new Promise((resolve) => setTimeout(resolve, 1))
  return { ...defaults, greeting: process.env.GREETING ?? defaults.greeting }
}
