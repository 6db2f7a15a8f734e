import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** What one CLI run gave. */
export interface CliRun {
  code: number | null
  out: string
  err: string
}

/** The AWS CLI (v1 or v2) with dummy credentials and its files in a test's directory. */
export interface AwsCli {
  /** v2 reads blob arguments as base64 unless told otherwise; v1 sends them raw. */
  v2: boolean
  /** `aws SERVICE ARGS --endpoint-url URL --output json` (and v2's raw blob format). */
  run(service: string, args: string[], endpoint: string): Promise<CliRun>
  /** The same, its JSON output parsed ({} when it printed nothing); throws on a non-zero exit. */
  ok(service: string, args: string[], endpoint: string): Promise<Record<string, unknown>>
}

/** The CLI at `aws`, for `region`, with dummy credentials (`test`/`test`) and files in `home`. */
export async function awsCli(aws: string, home: string, region: string): Promise<AwsCli> {
  await writeFile(join(home, 'config'), `[default]\nregion = ${region}\n`)
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_MAX_ATTEMPTS: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: ''
  }
  const exec = async (args: string[]): Promise<CliRun> => {
    const child = spawn(aws, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk))
    child.stderr.on('data', (chunk: Buffer) => (err += chunk))
    const [code] = (await once(child, 'close')) as [number | null]
    return { code, out, err }
  }
  const version = await exec(['--version'])
  const v2 = /aws-cli\/2\./.test(version.out + version.err)
  const run = (service: string, args: string[], endpoint: string) =>
    exec([
      service,
      ...args,
      '--endpoint-url',
      endpoint,
      '--output',
      'json',
      ...(v2 ? ['--cli-binary-format', 'raw-in-base64-out'] : [])
    ])
  return {
    v2,
    run,
    async ok(service, args, endpoint) {
      const ran = await run(service, args, endpoint)
      if (ran.code !== 0) {
        throw new Error(`aws ${service} ${args[0]}: exit ${ran.code}: ${ran.err}`)
      }
      return ran.out === '' ? {} : (JSON.parse(ran.out) as Record<string, unknown>)
    }
  }
}
