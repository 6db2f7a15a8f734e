import t from 'tap'
import { awsCli } from '../support/aws-cli.js'
import { localEdge } from '../support/local-edge.js'
import { which } from '../support/processes.js'

// `aws scheduler` unmodified against an edge: create-schedule (the issue's own command line),
// get-schedule, list-schedules, update-schedule (disable), delete-schedule.

const REGION = 'us-west-sfo'
const TARGET = JSON.stringify({
  Arn: `arn:aws:lambda:${REGION}:000000000000:function:tick`,
  RoleArn: 'arn:aws:iam::000000000000:role/x',
  Input: '{"n":1}'
})

const aws = await which('aws')
t.test('aws scheduler, create to delete', { skip: aws === null && 'no aws' }, async (t) => {
  const { edge } = await localEdge(t, { poolSize: 1 }, { region: REGION })
  const cli = await awsCli(aws as string, t.testdir(), REGION)
  const scheduler = (args: string[]) => cli.ok('scheduler', args, edge.url)
  const window = ['--flexible-time-window', '{"Mode":"OFF"}']

  const created = await scheduler([
    'create-schedule',
    '--name',
    'tick',
    '--schedule-expression',
    'rate(1 minute)',
    '--target',
    TARGET,
    ...window
  ])
  t.same(created, {
    ScheduleArn: `arn:aws:scheduler:${REGION}:000000000000:schedule/default/tick`
  })
  const got = await scheduler(['get-schedule', '--name', 'tick'])
  t.match(got, {
    Name: 'tick',
    GroupName: 'default',
    ScheduleExpression: 'rate(1 minute)',
    State: 'ENABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: JSON.parse(TARGET)
  })
  t.ok(got.CreationDate !== undefined && got.LastModificationDate !== undefined, 'dates')
  const listed = await scheduler(['list-schedules'])
  t.match(listed, { Schedules: [{ Name: 'tick', State: 'ENABLED' }] })

  await scheduler([
    'update-schedule',
    '--name',
    'tick',
    '--schedule-expression',
    'rate(1 minute)',
    '--state',
    'DISABLED',
    '--target',
    TARGET,
    ...window
  ])
  t.match(await scheduler(['get-schedule', '--name', 'tick']), { State: 'DISABLED' })
  t.match(await scheduler(['list-schedules', '--state', 'DISABLED']), {
    Schedules: [{ Name: 'tick' }]
  })
  await scheduler(['delete-schedule', '--name', 'tick'])
  const gone = await cli.run('scheduler', ['get-schedule', '--name', 'tick'], edge.url)
  t.not(gone.code, 0)
  t.match(gone.err, /ResourceNotFoundException/)
  const bad = await cli.run(
    'scheduler',
    [
      'create-schedule',
      '--name',
      'bad',
      '--schedule-expression',
      'rate(1 minutes)',
      '--target',
      TARGET,
      ...window
    ],
    edge.url
  )
  t.match(bad.err, /ValidationException.*singular for 1/)
})
