// swarm-lambda's AssemblyScript SDK: JSON values and a handler, over ABI v2 (bytes in, bytes out).
//
//   import { JSON, handler } from '../sdk'
//   export { alloc, handle } from '../sdk/abi'
//
//   handler((event: JSON.Value): JSON.Value => {
//     const name = event.get('name').asString('world')
//     return JSON.object().set('greeting', 'Hello, ' + name + '!')
//   })
//
// Build with `asc fn.ts -O3 --runtime stub --noAssert --use abort= --exportStart _initialize`
// (functions/build.mjs does): no imports, no start section, as the edge's policy wants.
//
// JSON: parse / parseBytes (null if not JSON; parseError() says why), stringify, object(),
// array(), from(x), NULL, and the Value class (see json.ts).
import * as JSON from './json'
export { JSON }
export { handler, textHandler, bytesHandler } from './handler'
export { JsonHandler, TextHandler, BytesHandler } from './handler'
