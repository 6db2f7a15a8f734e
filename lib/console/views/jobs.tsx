import type { ConsoleState } from '../../wire/console'
import { relative } from '../format'
import { NeedsKey, Status } from './common'

/**
 * Async jobs (Event invocations, the jobs API, schedule firings), newest first: live progress
 * where this edge runs them, who accepted each and where it ran, retries. Jobs cannot be
 * cancelled: AWS has no such call for an accepted event either.
 */
export function JobsView({ state }: { state: ConsoleState | null }) {
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
                    <code title={job.id}>{job.id.slice(0, 12)}</code>
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
    </section>
  )
}
