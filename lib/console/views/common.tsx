import type { ConsoleNode } from '../../wire/console'

/** A member seen earlier and missing now: the map keeps it, marked down. */
export type KnownNode = ConsoleNode & { down: boolean }

/** What a view shows when its data needs a key the caller has not given. */
export function NeedsKey({ what }: { what: string }) {
  return (
    <p class="note" data-needs-key>
      This edge has access keys: sign in to see {what}.
    </p>
  )
}

/** A status word as a coloured badge (`data-status` for tests and styles). */
export function Status({ value }: { value: string }) {
  return (
    <span class={`badge status-${value}`} data-status={value}>
      {value}
    </span>
  )
}
