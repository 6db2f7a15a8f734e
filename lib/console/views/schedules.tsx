import { useState } from 'preact/hooks'
import type { ConsoleSchedule, ConsoleState } from '../../wire/console'
import { call, errorOf } from '../api'
import { relative, when } from '../format'
import { NeedsKey, Status } from './common'

/**
 * Schedules with their next and last firing; disable or enable one (Scheduler's UpdateSchedule
 * replaces the whole schedule, so the change sends it back whole with the new state).
 */
export function SchedulesView(props: { state: ConsoleState | null; canAct: boolean }) {
  const [problem, setProblem] = useState<string | null>(null)
  const { state } = props
  if (state === null) return <p class="note">Connecting…</p>
  if (state.schedules === undefined) return <NeedsKey what="the schedules" />

  const toggle = async (s: ConsoleSchedule) => {
    setProblem(null)
    const path = `/schedules/${encodeURIComponent(s.name)}?groupName=${encodeURIComponent(s.group)}`
    const got = await call('GET', path)
    if (got.status !== 200) return setProblem(errorOf(got))
    const current = got.json as Record<string, unknown>
    const body = {
      ScheduleExpression: current.ScheduleExpression,
      ScheduleExpressionTimezone: current.ScheduleExpressionTimezone,
      FlexibleTimeWindow: current.FlexibleTimeWindow,
      Target: current.Target,
      Description: current.Description,
      StartDate: current.StartDate,
      EndDate: current.EndDate,
      ActionAfterCompletion: current.ActionAfterCompletion,
      GroupName: s.group,
      State: s.state === 'ENABLED' ? 'DISABLED' : 'ENABLED'
    }
    const put = await call('PUT', `/schedules/${encodeURIComponent(s.name)}`, body)
    if (put.status !== 200) setProblem(errorOf(put))
  }

  return (
    <section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      {problem === null ? null : (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      {state.schedules.length === 0 ? (
        <p class="note">
          No schedule yet: <code>aws scheduler create-schedule</code> against this edge makes one.
        </p>
      ) : (
        <div class="scroll">
          <table class="grid" data-table="schedules">
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Expression</th>
                <th scope="col">Target</th>
                <th scope="col">State</th>
                <th scope="col">Next firing</th>
                <th scope="col">Last firing</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {state.schedules.map((s) => (
                <tr data-schedule={`${s.group}/${s.name}`} data-state={s.state}>
                  <td>
                    {s.name}
                    {s.group === 'default' ? '' : ` (${s.group})`}
                  </td>
                  <td>
                    <code>{s.expression}</code>
                  </td>
                  <td>{s.target}</td>
                  <td>
                    <Status value={s.state.toLowerCase()} />
                  </td>
                  <td title={s.next === null ? '' : when(s.next)}>
                    {s.next === null ? '—' : relative(s.next, state.at)}
                  </td>
                  <td title={s.last === null ? '' : when(s.last)}>
                    {s.last === null ? '—' : relative(s.last, state.at)}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="quiet"
                      disabled={!props.canAct}
                      onClick={() => void toggle(s)}
                    >
                      {s.state === 'ENABLED' ? 'Disable' : 'Enable'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
