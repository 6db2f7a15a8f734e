import { useState } from 'preact/hooks'
import { call, errorOf } from '../api'

const JS_TEMPLATE = `// index.js: exports.handler gets the event and AWS's context.
exports.handler = async (event, context) => {
  console.log('event', JSON.stringify(event))
  return { hello: event.name ?? 'world' }
}
`
const REDUCERS = ['none', 'concat', 'sum', 'min', 'max'] as const

/** base64 of a file's bytes (chunked: String.fromCharCode takes a bounded argument list). */
async function base64(file: File): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer())
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}

/** `KEY=value` lines as an object; a line without `=` is an error. */
function environment(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const at = line.indexOf('=')
    if (at < 1) throw new Error(`environment: "${line}" is not KEY=value`)
    out[line.slice(0, at).trim()] = line.slice(at + 1)
  }
  return out
}

/**
 * Deploys a function from the browser through the seed API (`POST /functions`, which replaces a
 * function of the same name): a JS handler written in the editor, or an uploaded `.wasm` or
 * `.zip` (a JS or Python package by the runtime chosen, or a zip holding one module), with its
 * timeout, memory, reducer, header items and environment.
 */
export function DeployForm() {
  const [source, setSource] = useState<'editor' | 'upload'>('editor')
  const [code, setCode] = useState(JS_TEMPLATE)
  const [runtime, setRuntime] = useState('wasm')
  const [busy, setBusy] = useState(false)
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null)

  const submit = async (event: Event) => {
    event.preventDefault()
    const form = new FormData(event.target as HTMLFormElement)
    const text = (name: string) => String(form.get(name) ?? '').trim()
    setBusy(true)
    setOutcome(null)
    try {
      const name = text('name')
      const body: Record<string, unknown> = {
        name,
        timeoutMs: Math.round(Number(text('timeout')) * 1000),
        memoryMb: Number(text('memory')),
        reduce: text('reduce'),
        environment: environment(text('environment'))
      }
      if (text('headerItems') !== '') body.headerItems = Number(text('headerItems'))
      if (text('handler') !== '') body.handler = text('handler')
      if (source === 'editor') {
        body.files = { 'index.js': code }
      } else {
        const file = form.get('file')
        if (!(file instanceof File) || file.size === 0)
          throw new Error('choose a .wasm or .zip file')
        if (file.name.endsWith('.zip')) {
          body.zip_base64 = await base64(file)
          if (runtime !== 'wasm') body.runtime = runtime
        } else body.wasm_base64 = await base64(file)
      }
      const answer = await call('POST', '/functions', body)
      setOutcome(
        answer.status === 201
          ? {
              ok: true,
              text: `Deployed ${name} (${answer.text.length > 0 ? 'revision ' + String((answer.json as { Version?: string }).Version ?? '') : ''})`
            }
          : { ok: false, text: errorOf(answer) }
      )
    } catch (err) {
      setOutcome({ ok: false, text: (err as Error).message })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="deploy" data-deploy onSubmit={submit} aria-labelledby="deploy-title">
      <h3 id="deploy-title">Deploy a function</h3>
      <div class="row">
        <label>
          Name
          <input name="name" required pattern="[A-Za-z0-9_\-]{1,64}" autocomplete="off" />
        </label>
        <fieldset class="choice">
          <legend>Code</legend>
          <label>
            <input
              type="radio"
              name="source"
              value="editor"
              checked={source === 'editor'}
              onChange={() => setSource('editor')}
            />
            JS handler
          </label>
          <label>
            <input
              type="radio"
              name="source"
              value="upload"
              checked={source === 'upload'}
              onChange={() => setSource('upload')}
            />
            Upload .wasm or .zip
          </label>
        </fieldset>
      </div>
      {source === 'editor' ? (
        <label class="editor">
          index.js
          <textarea
            name="source"
            spellcheck={false}
            rows={10}
            value={code}
            onInput={(e) => setCode((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              // Tab indents in the editor; Escape then Tab leaves it (keyboard users are not trapped).
              if (e.key !== 'Tab' || e.shiftKey || (e.target as HTMLElement).dataset.escaped) return
              e.preventDefault()
              const area = e.target as HTMLTextAreaElement
              area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end')
              setCode(area.value)
            }}
            onKeyUp={(e) => {
              const area = e.target as HTMLTextAreaElement
              if (e.key === 'Escape') area.dataset.escaped = '1'
              else if (e.key !== 'Tab') delete area.dataset.escaped
            }}
          />
        </label>
      ) : (
        <div class="row">
          <label>
            File
            <input name="file" type="file" accept=".wasm,.zip,application/wasm,application/zip" />
          </label>
          <label>
            A .zip holds
            <select
              value={runtime}
              onChange={(e) => setRuntime((e.target as HTMLSelectElement).value)}
            >
              <option value="wasm">one .wasm module</option>
              <option value="nodejs20.x">a JS package (nodejs20.x)</option>
              <option value="python3.12">a Python package (python3.12)</option>
            </select>
          </label>
        </div>
      )}
      <div class="row">
        <label>
          Handler
          <input name="handler" placeholder={source === 'editor' ? 'index.handler' : 'default'} />
        </label>
        <label>
          Timeout (s)
          <input name="timeout" type="number" min="1" max="900" step="any" value="10" />
        </label>
        <label>
          Memory (MB)
          <input name="memory" type="number" min="16" max="10240" value="128" />
        </label>
        <label>
          Reduce
          <select name="reduce">
            {REDUCERS.map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Header items
          <input name="headerItems" type="number" min="0" placeholder="0" />
        </label>
      </div>
      <label>
        Environment (KEY=value, one per line)
        <textarea name="environment" rows={2} spellcheck={false} />
      </label>
      <button type="submit" disabled={busy}>
        {busy ? 'Deploying…' : 'Deploy'}
      </button>
      {outcome === null ? null : (
        <p
          class={outcome.ok ? 'ok' : 'error'}
          role="status"
          data-deploy-result={outcome.ok ? 'ok' : 'error'}
        >
          {outcome.text}
        </p>
      )}
    </form>
  )
}
