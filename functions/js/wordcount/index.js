// Counts the words in event.dataset, an array of lines. Deployed with reduce "sum", an
// invocation is a MapReduce: each shard counts its slice of the lines, the edge adds the counts.
exports.handler = async (event) => {
  let words = 0
  for (const line of event.dataset ?? []) {
    words += String(line).split(/\s+/).filter(Boolean).length
  }
  return words
}
