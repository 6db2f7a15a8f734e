import type { ConsoleFunction, ConsoleSeries, ConsoleState } from '../../wire/console'
import { bytes, duration, relative } from '../format'
import { Chart } from './chart'
import { NeedsKey } from './common'
import { DeployForm } from './deploy'

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

/** The worst of a series' non-null values (null: no call in the window). */
function worst(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null)
  return known.length === 0 ? null : Math.max(...known)
}

/**
 * Every function with its runtime, versions, aliases, URL, size and age, and its last minute on
 * this edge as two small live charts (calls, errors, throttles; p50 and p99 duration); a deploy
 * form below.
 */
export function FunctionsView(props: { state: ConsoleState | null; canAct: boolean }) {
  const { state } = props
  if (state === null) return <p class="note">Connecting…</p>
  if (state.functions === undefined) return <NeedsKey what="the functions" />
  return (
    <section aria-labelledby="functions-title">
      <h2 id="functions-title">Functions</h2>
      {state.functions.length === 0 ? (
        <p class="note">No function deployed yet: deploy one below.</p>
      ) : (
        <div class="cards">
          {state.functions.map((f) => (
            <FunctionCard fn={f} series={state.stats?.[f.name]} />
          ))}
        </div>
      )}
      {props.canAct ? <DeployForm /> : <NeedsKey what="the deploy form" />}
    </section>
  )
}

function FunctionCard({ fn, series }: { fn: ConsoleFunction; series: ConsoleSeries | undefined }) {
  const calls = series === undefined ? 0 : sum(series.invocations)
  const errors = series === undefined ? 0 : sum(series.errors)
  const throttles = series === undefined ? 0 : sum(series.throttles)
  const p99 = series === undefined ? null : worst(series.p99)
  return (
    <article class="card" data-function={fn.name}>
      <header>
        <h3>
          <a href={`#/test/${encodeURIComponent(fn.name)}`} title="Open in the Test tab">
            {fn.name}
          </a>
        </h3>
        <span class="badge">{fn.runtime === '' ? `${fn.kind} ${fn.abi}` : fn.runtime}</span>
      </header>
      <dl class="facts">
        <dt>Revision</dt>
        <dd>{fn.revision}</dd>
        <dt>Versions</dt>
        <dd>{fn.versions.length === 0 ? '—' : fn.versions.join(', ')}</dd>
        <dt>Aliases</dt>
        <dd>
          {fn.aliases.length === 0
            ? '—'
            : fn.aliases.map((a) => `${a.name}→${a.version}`).join(', ')}
        </dd>
        <dt>URL</dt>
        <dd>
          {fn.urls.length === 0
            ? '—'
            : fn.urls.map((u) => (
                <a href={u.path} target="_blank" rel="noopener" data-url={u.path}>
                  {u.path}
                </a>
              ))}
        </dd>
        <dt>Size</dt>
        <dd>{bytes(fn.size)}</dd>
        <dt>Modified</dt>
        <dd>{relative(fn.modified)}</dd>
        <dt>Limits</dt>
        <dd>
          {fn.timeoutMs / 1000} s, {fn.memoryMb} MB
          {fn.reduce === 'none' ? '' : `, reduce ${fn.reduce}`}
        </dd>
      </dl>
      <p class="totals" data-totals={fn.name}>
        last minute: <strong data-calls>{calls}</strong> calls, <strong>{errors}</strong> errors,{' '}
        <strong>{throttles}</strong> throttled, p99 {p99 === null ? '—' : duration(p99)}
      </p>
      {series === undefined ? null : (
        <div class="sparks">
          <figure class="spark">
            <figcaption>calls · errors · throttles /s</figcaption>
            <Chart
              label={`${fn.name}: calls, errors and throttles per second`}
              x={series.at}
              width={150}
              height={40}
              lines={[
                { label: 'calls', values: series.invocations, color: '--accent' },
                { label: 'errors', values: series.errors, color: '--bad' },
                { label: 'throttles', values: series.throttles, color: '--warn' }
              ]}
            />
          </figure>
          <figure class="spark">
            <figcaption>p50 · p99 ms</figcaption>
            <Chart
              label={`${fn.name}: p50 and p99 duration per second`}
              x={series.at}
              width={150}
              height={40}
              lines={[
                { label: 'p50', values: series.p50, color: '--ok' },
                { label: 'p99', values: series.p99, color: '--warn' }
              ]}
            />
          </figure>
        </div>
      )}
    </article>
  )
}
