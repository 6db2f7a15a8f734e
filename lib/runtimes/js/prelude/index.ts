import { createCommonJs } from './commonjs.js'
import { installConsole } from './console.js'
import { createDescribe } from './errors.js'
import { createInvoke } from './invoke.js'
import { installProcess } from './process.js'
import { installTimers } from './timers.js'

export type { PreludeHooks, PreludeHost, PreludeOptions, PreludeResult } from './types.js'

/**
 * The JavaScript that sets up a container's globals (console, process, timers driven by the host)
 * and hands back its PreludeHooks: CommonJS require over the function's own files and the glue
 * that calls a handler the way AWS's Node runtime does. Its source is an expression
 * `(host: PreludeHost, options: PreludeOptions) => PreludeHooks` evaluated inside QuickJS, built
 * from its parts' toString(): CRUCIAL, each part must refer to nothing outside its own body, and
 * gets what it needs of the others as arguments.
 *
 * The parts go in as function declarations, not as `(<function>)(...)`: QuickJS scans a
 * parenthesized expression to its end to see whether an arrow follows, which for every part
 * costs a tokenizing pass over its source (~0.25 ms of each cold start for the prelude's 16 KB).
 */
export const RUNTIME_SOURCE = `(host, options) => {
  ${createDescribe}
  ${installConsole}
  ${installProcess}
  ${installTimers}
  ${createCommonJs}
  ${createInvoke}
  const describe = createDescribe(options);
  installConsole(host, describe);
  installProcess(host, options);
  const timers = installTimers(host, describe);
  const modules = createCommonJs(host, options);
  const call = createInvoke(host, describe);
  return {
    require: modules.require,
    resolve: modules.resolve,
    pick: call.pick,
    invoke: call.invoke,
    describe,
    nextTimerAt: timers.nextTimerAt,
    runTimers: timers.runTimers,
    takeUncaught: timers.takeUncaught
  };
}`
