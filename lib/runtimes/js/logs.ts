/**
 * An AWS-like log stream name, one per container as on AWS: its start date and an id of its own
 * (a container's first request id, without dashes).
 */
export function logStream(firstRequestId: string, version = '$LATEST'): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/')
  return `${day}/[${version}]${firstRequestId.replaceAll('-', '').slice(0, 32)}`
}

/** A call's log is capped (AWS truncates too): the newest lines are kept, the oldest dropped. */
export const MAX_LOG_BYTES = 256 * 1024

/**
 * The log of one JS invocation, as AWS's Node runtime writes it to CloudWatch: one line per
 * console call, `time<TAB>requestId<TAB>LEVEL<TAB>message`, and the error line of a failure.
 */
export class LogBuffer {
  private lines: string[] = []
  private bytes = 0

  constructor(private readonly requestId: string) {}

  /** One console line. */
  line(level: string, text: string): void {
    const line = `${new Date().toISOString()}\t${this.requestId}\t${level}\t${text}\n`
    this.lines.push(line)
    this.bytes += line.length
    while (this.bytes > MAX_LOG_BYTES && this.lines.length > 1) {
      this.bytes -= (this.lines.shift() as string).length
    }
  }

  /** The line AWS writes when a handler fails. */
  error(result: { errorType: string; errorMessage: string; trace: string[] }): void {
    const { errorType, errorMessage, trace } = result
    this.line('ERROR', `Invoke Error \t${JSON.stringify({ errorType, errorMessage, trace })}`)
  }

  /** The log for a reply, when there is one. */
  outcome(): { logs?: string } {
    return this.lines.length === 0 ? {} : { logs: this.lines.join('') }
  }
}
