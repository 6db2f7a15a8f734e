// ABI v2, with the JSON SDK (functions/sdk): {"name":"Ada"} → {"greeting":"Hello, Ada!","length":11}.
// A missing, non-string or empty `name` greets "world". `length` is the greeting's length in
// UTF-16 code units (JavaScript's String.length). A body that is not JSON answers the SDK's
// {"errorType":"InvalidJSON",...}; an empty body is the event {}.
import { JSON, handler } from '../sdk'
export { alloc, handle } from '../sdk/abi'

handler((event: JSON.Value): JSON.Value => {
  let name = event.get('name').asString()
  if (name.length == 0) name = 'world'
  const greeting = 'Hello, ' + name + '!'
  return JSON.object().set('greeting', greeting).set('length', greeting.length)
})
