// The sum of the squares of event.dataset (numbers). An .mjs file is an ES module without a
// package.json. Deployed with reduce "sum", each shard squares its slice and the edge adds them.
export const handler = async ({ dataset = [] }) => dataset.reduce((sum, x) => sum + x * x, 0)
