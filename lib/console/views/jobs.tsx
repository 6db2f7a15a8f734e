import { useState } from 'preact/hooks'
import type { ConsoleState } from '../../wire/console'
import { call, errorOf } from '../api'
import { pretty, relative, when } from '../format'
import { NeedsKey, Status } from './common'

/** A job's history as GET /api/v1/jobs/:id tells it. */
interface History {
  accepted: { edge: string; at: string }
  history: { event: string; edge: string; at: string; attempt: number; from?: string }[]
}

/**
 * Async jobs (Event invocations, the jobs API, schedule firings), newest first: live progress
 * where this edge runs them, who accepted each and where it ran, retries. Jobs cannot be
 * cancelled: AWS has no such call for an accepted event either.
 */
export function JobsView({ state }: { state: ConsoleState | null }) {
  const [open, setOpen] = useState<{
    id: string
    text: string
    history: History['history']
  } | null>(null)
  const show = async (id: string) => {
    if (open?.id === id) return setOpen(null)
    const answer = await call('GET', `/api/v1/jobs/${encodeURIComponent(id)}`)
    const job = answer.json as History | undefined
    const history = job?.history ?? []
    if (job?.accepted !== undefined) {
      history.unshift({
        event: 'accepted',
        edge: job.accepted.edge,
        at: job.accepted.at,
        attempt: 0
      })
    }
    setOpen({ id, text: answer.status < 300 ? pretty(answer.text) : errorOf(answer), history })
  }
  if (state === null) return <p class="note">Connecting…</p>
  if (state.jobs === undefined) return <NeedsKey what="the jobs" />
  return (
    <section aria-labelledby="jobs-title">
      <h2 id="jobs-title">Jobs</h2>
      {state.jobs.length === 0 ? (
        <p class="note">
          No async work yet: invoke with <code>--invocation-type Event</code>, POST /api/v1/jobs, or
          create a schedule.
        </p>
      ) : (
        <div class="scroll">
          <table class="grid" data-table="jobs">
            <thead>
              <tr>
                <th scope="col">Job</th>
                <th scope="col">Function</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Accepted by</th>
                <th scope="col">Ran on</th>
                <th scope="col">Attempts</th>
                <th scope="col">Accepted</th>
              </tr>
            </thead>
            <tbody>
              {state.jobs.map((job) => (
                <tr data-job={job.id} data-status={job.status}>
                  <td>
                    <button
                      type="button"
                      class="link-button"
                      aria-expanded={open?.id === job.id}
                      onClick={() => void show(job.id)}
                    >
                      <code title={job.id}>{job.id.slice(0, 12)}</code>
                    </button>
                  </td>
                  <td>
                    {job.function}
                    {job.schedule === null ? '' : ` (schedule ${job.schedule})`}
                  </td>
                  <td>
                    <Status value={job.status} />
                  </td>
                  <td>
                    {job.total === 0 ? (
                      '—'
                    ) : (
                      <progress
                        max={job.total}
                        value={job.done}
                        aria-label={`${job.done} of ${job.total} shards`}
                      >
                        {job.done} / {job.total}
                      </progress>
                    )}{' '}
                    {job.total === 0 ? '' : `${job.done} / ${job.total}`}
                  </td>
                  <td>{job.acceptedBy}</td>
                  <td>{job.ranOn.length === 0 ? '—' : job.ranOn.join(' → ')}</td>
                  <td>{job.attempts}</td>
                  <td>{job.acceptedAt === 0 ? '—' : relative(job.acceptedAt, state.at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {open === null ? null : (
        <div class="details" data-job-details={open.id}>
          <h3>Job {open.id}</h3>
          <ol>
            {open.history.map((h) => (
              <li>
                {when(Date.parse(h.at))}: {h.event} on {h.edge}
                {h.attempt === 0 ? '' : ` (attempt ${h.attempt})`}
                {h.from === undefined ? '' : `, from ${h.from}`}
              </li>
            ))}
          </ol>
          <pre class="code">{open.text}</pre>
        </div>
      )}
    </section>
  )
}
