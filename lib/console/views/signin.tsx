import { useState } from 'preact/hooks'
import type { ConsoleAccess } from '../../wire/console'
import { storedKey } from '../api'

/**
 * Sign in with an access key: `id:secret` in one field (the dev token `npm start` prints), or
 * the id and the secret apart. The key is checked against the edge before it is kept, and it is
 * kept in sessionStorage only (this tab).
 */
export function SignIn(props: {
  access: ConsoleAccess
  signedIn: boolean
  onChange: (key: string | null) => void
}) {
  const [open, setOpen] = useState(false)
  const [token, setToken] = useState('')
  const [secret, setSecret] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  if (props.signedIn) {
    const id = (storedKey() ?? '').split(':')[0]
    return (
      <span class="signin">
        <span data-signed-in={id}>key {id}</span>
        <button type="button" class="quiet" onClick={() => props.onChange(null)}>
          Sign out
        </button>
      </span>
    )
  }
  if (props.access === 'open') return null
  if (!open) {
    return (
      <button type="button" data-sign-in onClick={() => setOpen(true)}>
        Sign in
      </button>
    )
  }
  const submit = async (event: Event) => {
    event.preventDefault()
    const key = secret === '' ? token.trim() : `${token.trim()}:${secret}`
    if (!key.includes(':')) {
      setError('an access key is id:secret (or the id and the secret in their own fields)')
      return
    }
    setBusy(true)
    setError(null)
    try {
      const response = await fetch('/api/v1/whoami', {
        headers: { authorization: `Bearer ${key}` }
      })
      const who = (await response.json()) as {
        access: ConsoleAccess
        refused?: { errorType: string; message: string }
      }
      if (who.access === 'anonymous') {
        const why = who.refused
        setError(why === undefined ? 'not signed in' : `${why.errorType}: ${why.message}`)
      } else {
        setOpen(false)
        setToken('')
        setSecret('')
        props.onChange(key)
      }
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="signin-form" onSubmit={submit} aria-label="Sign in">
      <label>
        Access key (id:secret, or the id)
        <input
          name="token"
          autocomplete="username"
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          autoFocus
        />
      </label>
      <label>
        Secret (if apart)
        <input
          name="secret"
          type="password"
          autocomplete="current-password"
          value={secret}
          onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      <button type="button" class="quiet" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {error === null ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}
