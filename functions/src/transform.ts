// ABI v2, with the JSON SDK (functions/sdk):
// {"items":[numbers…],"scale":k} → {"scaled":[item × k…],"sum":S,"max":M}.
// All arithmetic is f64, as in JavaScript: `scaled` is each number of `items` times `scale`
// (entries that are not numbers are skipped; no `items` array: none), `sum` their sum from 0 in
// order, `max` the largest (Math.max's rules) or null when there are none. `scale` defaults to 1
// when missing or not a number. Numbers are written as JSON.stringify writes them (2, not 2.0;
// 0.30000000000000004; 1e+21; Infinity and NaN as null).
import { JSON, handler } from '../sdk'
export { alloc, handle } from '../sdk/abi'

handler((event: JSON.Value): JSON.Value => {
  const scale = event.get('scale').asNumber(1)
  const items = event.get('items').items()
  const scaled = JSON.array()
  let sum: f64 = 0
  let max: f64 = -Infinity
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    if (!item.isNumber()) continue
    const x = item.n * scale
    scaled.push(x)
    sum += x
    max = Math.max(max, x)
  }
  return JSON.object()
    .set('scaled', scaled)
    .set('sum', sum)
    .set('max', scaled.length > 0 ? JSON.from(max) : JSON.NULL)
})
