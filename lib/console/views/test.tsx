import { useEffect, useState } from 'preact/hooks'
import type { ConsoleFunction, ConsoleState } from '../../wire/console'
import { call, errorOf, type Answer } from '../api'
import { exampleEvent, saveEvent, savedEvents } from '../events'
import { duration, pretty } from '../format'
import { ImageView, imageOf, numbersOf, PlotView } from './answer'
import { NeedsKey, type KnownNode } from './common'
import { shardsOf, ShardStrip } from './shards'

/** What one test invocation gave. */
interface Outcome {
  answer: Answer
  event: unknown
  log: string
  fn: ConsoleFunction
}

/** base64 (X-Amz-Log-Result) to text, UTF-8. */
function decodeLog(value: string | null): string {
  if (value === null) return ''
  const binary = atob(value)
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
}

/**
 * The Test tab, as AWS's console has it: pick a function, write or pick a saved event, invoke
 * (RequestResponse with the log tail), and read the status, the answer, the duration, the log,
 * and for a sharded call which edge ran each shard. A mandelbrot answer is drawn; a list of
 * numbers can be plotted.
 */
export function TestView(props: {
  state: ConsoleState | null
  canAct: boolean
  name: string
  nodes: KnownNode[]
}) {
  const functions = props.state?.functions
  const fn = functions?.find((f) => f.name === props.name) ?? null
  // The editor's text, for the function it was written for (shown only once it is that one's).
  const [draft, setDraft] = useState<{ fn: string; text: string } | null>(null)
  const event = fn !== null && draft?.fn === fn.name ? draft.text : null
  const setEvent = (text: string) => fn !== null && setDraft({ fn: fn.name, text })
  const [saved, setSaved] = useState<Record<string, string>>({})
  const [saveName, setSaveName] = useState('')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [problem, setProblem] = useState<string | null>(null)
  const [plot, setPlot] = useState(false)

  // A new function: its saved events, and its first saved one (or an example) in the editor.
  useEffect(() => {
    if (fn === null) return
    const events = savedEvents(fn.name)
    setSaved(events)
    setDraft({ fn: fn.name, text: Object.values(events)[0] ?? exampleEvent(fn) })
    setOutcome(null)
    setProblem(null)
  }, [fn?.name])

  if (props.state === null) return <p class="note">Connecting…</p>
  if (functions === undefined) return <NeedsKey what="the functions" />

  const invoke = async () => {
    if (fn === null || event === null) return
    let parsed: unknown
    try {
      parsed = JSON.parse(event)
    } catch (err) {
      setProblem(`The event is not JSON: ${(err as Error).message}`)
      return
    }
    setBusy(true)
    setProblem(null)
    setPlot(false)
    try {
      const answer = await call(
        'POST',
        `/2015-03-31/functions/${encodeURIComponent(fn.name)}/invocations`,
        event,
        { 'x-amz-log-type': 'Tail' }
      )
      setOutcome({
        answer,
        event: parsed,
        log: decodeLog(answer.headers.get('x-amz-log-result')),
        fn
      })
    } catch (err) {
      setProblem((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const save = () => {
    if (fn === null || event === null || saveName.trim() === '') return
    saveEvent(fn.name, saveName.trim(), event)
    setSaved(savedEvents(fn.name))
    setSaveName('')
  }

  return (
    <section aria-labelledby="test-title">
      <h2 id="test-title">Test</h2>
      <div class="row">
        <label>
          Function
          <select
            data-test-function
            value={fn?.name ?? ''}
            onChange={(e) =>
              (location.hash = `#/test/${encodeURIComponent((e.target as HTMLSelectElement).value)}`)
            }
          >
            <option value="" disabled>
              choose…
            </option>
            {functions.map((f) => (
              <option value={f.name}>{f.name}</option>
            ))}
          </select>
        </label>
        {fn === null ? null : (
          <label>
            Saved events
            <select
              data-saved-events
              value=""
              onChange={(e) => {
                const name = (e.target as HTMLSelectElement).value
                if (saved[name] !== undefined) setEvent(saved[name] as string)
              }}
            >
              <option value="">{Object.keys(saved).length === 0 ? 'none yet' : 'load…'}</option>
              {Object.keys(saved).map((name) => (
                <option value={name}>{name}</option>
              ))}
            </select>
          </label>
        )}
      </div>
      {fn === null || event === null ? (
        <p class="note">Choose a function to invoke.</p>
      ) : (
        <>
          <label class="editor">
            Event (JSON)
            <textarea
              data-event
              rows={8}
              spellcheck={false}
              value={event}
              onInput={(e) => setEvent((e.target as HTMLTextAreaElement).value)}
            />
          </label>
          <div class="row">
            <button
              type="button"
              data-invoke
              disabled={busy || !props.canAct}
              onClick={() => void invoke()}
            >
              {busy ? 'Invoking…' : 'Invoke'}
            </button>
            <input
              aria-label="Name to save this event under"
              placeholder="event name"
              value={saveName}
              onInput={(e) => setSaveName((e.target as HTMLInputElement).value)}
            />
            <button type="button" class="quiet" data-save-event onClick={save}>
              Save event
            </button>
            {Object.keys(saved).map((name) => (
              <button
                type="button"
                class="quiet"
                aria-label={`Delete saved event ${name}`}
                onClick={() => {
                  saveEvent(fn.name, name, null)
                  setSaved(savedEvents(fn.name))
                }}
              >
                ✕ {name}
              </button>
            ))}
          </div>
          {props.canAct ? null : <NeedsKey what="invocations" />}
        </>
      )}
      {problem === null ? null : (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {outcome === null ? null : (
        <Result outcome={outcome} nodes={props.nodes} plot={plot} onPlot={() => setPlot(!plot)} />
      )}
    </section>
  )
}

function Result(props: {
  outcome: Outcome
  nodes: KnownNode[]
  plot: boolean
  onPlot: () => void
}) {
  const { answer, log, fn, event } = props.outcome
  const functionError = answer.headers.get('x-amz-function-error')
  const ok = answer.status < 300 && functionError === null
  const report = /Duration: ([\d.]+) ms/.exec(log)
  const shards = shardsOf(answer.json, log)
  const image = ok ? imageOf(fn, event, answer.json) : null
  const numbers = ok && image === null ? numbersOf(answer.json) : null
  return (
    <div class="result" data-result aria-live="polite">
      <p class={ok ? 'ok' : 'error'}>
        <strong data-result-status={answer.status}>{answer.status}</strong>
        {functionError === null ? '' : ` · function error (${functionError})`}
        {answer.status >= 400 ? ` · ${errorOf(answer)}` : ''}
        {' · '}
        <span data-duration>
          {report === null ? '' : `${duration(Number(report[1]))} at the edge, `}
          {duration(answer.ms)} round trip
        </span>
        {answer.headers.get('x-amz-executed-version') === null
          ? ''
          : ` · version ${answer.headers.get('x-amz-executed-version')}`}
      </p>
      <ShardStrip shards={shards} edges={props.nodes.map((n) => n.name)} />
      {image === null ? null : <ImageView image={image} />}
      {numbers === null ? null : (
        <button type="button" class="quiet" data-plot-toggle onClick={props.onPlot}>
          {props.plot ? 'Hide plot' : `Plot the ${numbers.length} numbers`}
        </button>
      )}
      {numbers !== null && props.plot ? <PlotView values={numbers} /> : null}
      <h3>Answer</h3>
      <pre class="code" data-answer>
        {pretty(answer.text)}
      </pre>
      <h3>Log</h3>
      <pre class="code" data-log>
        {log === '' ? '(no log)' : log}
      </pre>
    </div>
  )
}
