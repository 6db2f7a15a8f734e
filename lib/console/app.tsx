import { useEffect, useMemo, useState } from 'preact/hooks'
import type { ConsoleNode, ConsoleState } from '../wire/console'
import { follow, storedKey, storeKey } from './api'
import { ClusterView } from './views/cluster'
import { FunctionsView } from './views/functions'
import { JobsView } from './views/jobs'
import { SchedulesView } from './views/schedules'
import { SignIn } from './views/signin'
import { TestView } from './views/test'
import { ThemeToggle } from './views/theme'
import type { KnownNode } from './views/common'

const TABS = [
  ['cluster', 'Cluster'],
  ['functions', 'Functions'],
  ['test', 'Test'],
  ['jobs', 'Jobs'],
  ['schedules', 'Schedules']
] as const
type Tab = (typeof TABS)[number][0]

/** The hash route: `#/tab` or `#/tab/argument` (the Test tab's function). */
function route(): { tab: Tab; arg: string } {
  const [, tab = 'cluster', arg = ''] = location.hash.split('/')
  const known = TABS.some(([id]) => id === tab)
  return { tab: known ? (tab as Tab) : 'cluster', arg: decodeURIComponent(arg) }
}

export function App() {
  const [state, setState] = useState<ConsoleState | null>(null)
  const [link, setLink] = useState<{ up: boolean; why?: string }>({ up: false })
  const [key, setKey] = useState(storedKey())
  const [where, setWhere] = useState(route())
  const [known, setKnown] = useState(new Map<string, ConsoleNode>())

  useEffect(() => {
    const onHash = () => setWhere(route())
    addEventListener('hashchange', onHash)
    return () => removeEventListener('hashchange', onHash)
  }, [])

  // One stream per key: signing in or out starts it again with the new header.
  useEffect(
    () =>
      follow(
        (next) => {
          setState(next)
          setKnown((before) => {
            const after = new Map(before)
            for (const node of next.cluster.nodes) after.set(node.name, node)
            return after
          })
        },
        (up, why) => {
          setLink(why === undefined ? { up } : { up, why })
          if (storedKey() === null) setKey(null)
        }
      ),
    [key]
  )

  const nodes = useMemo<KnownNode[]>(() => {
    const live = new Set(state?.cluster.nodes.map((n) => n.name) ?? [])
    return [...known.values()].map((n) => ({ ...n, down: !live.has(n.name) }))
  }, [known, state])

  const signIn = (next: string | null) => {
    storeKey(next)
    setKey(next)
  }
  const self = state?.cluster.nodes.find((n) => n.self)
  const access = state?.access ?? 'anonymous'
  const canAct = access !== 'anonymous'

  return (
    <div class="shell">
      <header class="top">
        <h1>
          <a href="#/cluster">swarm-lambda</a>
        </h1>
        <span class="edge-name" title="The edge serving this console">
          {self === undefined ? '…' : `${self.name} · ${self.region}`}
          {state === null ? '' : ` · v${state.version}`}
        </span>
        <span
          class={`link ${link.up ? 'up' : 'down'}`}
          role="status"
          data-link-state={link.up ? 'up' : 'down'}
        >
          {link.up ? 'live' : `reconnecting${link.why === undefined ? '' : ` (${link.why})`}`}
        </span>
        <SignIn access={access} signedIn={key !== null} onChange={signIn} />
        <ThemeToggle />
      </header>
      {access === 'open' ? (
        <p class="banner" data-banner="open">
          This edge has no access keys: anyone who reaches it can deploy and invoke.
        </p>
      ) : null}
      <nav class="tabs" aria-label="Views">
        {TABS.map(([id, label]) => (
          <a href={`#/${id}`} aria-current={where.tab === id ? 'page' : undefined} data-tab={id}>
            {label}
          </a>
        ))}
      </nav>
      <main id="main">
        {where.tab === 'cluster' ? (
          <ClusterView
            nodes={nodes}
            cluster={state?.cluster ?? null}
            at={state?.at ?? Date.now()}
            version={state?.version ?? ''}
          />
        ) : null}
        {where.tab === 'functions' ? <FunctionsView state={state} canAct={canAct} /> : null}
        {where.tab === 'test' ? (
          <TestView state={state} canAct={canAct} name={where.arg} nodes={nodes} />
        ) : null}
        {where.tab === 'jobs' ? <JobsView state={state} /> : null}
        {where.tab === 'schedules' ? <SchedulesView state={state} canAct={canAct} /> : null}
      </main>
    </div>
  )
}
