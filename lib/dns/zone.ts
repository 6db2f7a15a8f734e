/**
 * The mesh's DNS zone as pure logic: one question in, the authoritative answer out. Every name
 * in the zone points at the edge proxy, except `<edge>.edges.<zone>`, which names one edge. No
 * sockets here; `server.ts` carries questions to it.
 */
import { isIPv4, isIPv6 } from 'node:net'
import { Packet, type Resource } from 'dns2'
import { INVALID_PARAMETER } from '../errors.js'

/** The zone served when none is configured. */
export const ZONE = 'lambda.mesh'
/** Seconds answers may be cached: short, because edges come and go. */
export const DEFAULT_TTL = 60
/** The zone's SOA serial when none is given (no transfers happen, so it never needs to move). */
const DEFAULT_SERIAL = 1
/** SOA timers in seconds (RFC 1912 §2.2 values); only secondaries would read them. */
const SOA_REFRESH = 3_600
const SOA_RETRY = 600
const SOA_EXPIRE = 1_209_600
/** The label under which each edge has its own name. */
const EDGES_LABEL = 'edges'
/** Zone transfers: refused, this zone is computed, not stored. */
const TYPE_IXFR = 251

/** DNS response codes (RFC 1035 §4.1.1) that this server sends. */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5
} as const

/** One edge as DNS names it: `<name>.edges.<zone>` → `address` (IPv4 or IPv6). */
export interface ZoneEdge {
  name: string
  address: string
}

/** What the zone serves; `edges` is read on every question so the answers follow the mesh. */
export interface ZoneDescription {
  /** The zone apex, `lambda.mesh` by default. */
  zone?: string
  /** The addresses every name in the zone resolves to (the edge proxy). */
  proxy: { a: string[]; aaaa: string[] }
  edges: () => Iterable<ZoneEdge>
  /** Seconds, for every record and for negative answers; 60 by default. */
  ttl?: number
  /** SOA serial; 1 by default. */
  serial?: number
}

/** The answer to one question: the response code and the answer and authority sections. */
export interface ZoneAnswer {
  rcode: number
  answers: Resource[]
  authorities: Resource[]
}

/** The addresses a name owns; null when the name does not exist. */
interface Owned {
  a: string[]
  aaaa: string[]
}

const { TYPE, CLASS } = Packet

/**
 * The authoritative answers of one zone. Questions outside it are REFUSED (this is not an open
 * resolver); names inside it exist at any depth except under `edges.<zone>`, where only the
 * current edges do.
 */
export class Zone {
  /** The apex, lower case, without a trailing dot. */
  readonly apex: string
  private readonly proxy: Owned
  private readonly edges: () => Iterable<ZoneEdge>
  private readonly ttl: number
  private readonly soa: Resource
  private readonly ns: Resource

  /** Validates the description; throws INVALID_PARAMETER for a bad zone, address or TTL. */
  constructor(description: ZoneDescription) {
    const apex = lowerAscii(withoutDot(description.zone ?? ZONE))
    if (!isDomainName(apex)) throw INVALID_PARAMETER('DNS zone', `"${apex}" is not a domain name`)
    const ttl = description.ttl ?? DEFAULT_TTL
    if (!isUint31(ttl)) throw INVALID_PARAMETER('DNS TTL', `${ttl} is not 0..2^31-1 seconds`)
    const serial = description.serial ?? DEFAULT_SERIAL
    if (!isUint31(serial)) throw INVALID_PARAMETER('DNS serial', `${serial} is not 0..2^31-1`)
    for (const address of description.proxy.a) {
      if (!isIPv4(address)) throw INVALID_PARAMETER('DNS proxy A', `"${address}" is not IPv4`)
    }
    const aaaa = description.proxy.aaaa.map((address) => {
      const canonical = canonicalIPv6(address)
      if (canonical === null) {
        throw INVALID_PARAMETER('DNS proxy AAAA', `"${address}" is not IPv6`)
      }
      return canonical
    })
    this.apex = apex
    this.proxy = { a: [...description.proxy.a], aaaa }
    this.edges = description.edges
    this.ttl = ttl
    this.soa = new Packet.Resource({
      name: apex,
      type: TYPE.SOA,
      class: CLASS.IN,
      ttl,
      primary: `ns.${apex}`,
      admin: `hostmaster.${apex}`,
      serial,
      refresh: SOA_REFRESH,
      retry: SOA_RETRY,
      expiration: SOA_EXPIRE,
      // RFC 2308 §4: the minimum field is the TTL of negative answers.
      minimum: ttl
    })
    this.ns = new Packet.Resource({
      name: apex,
      type: TYPE.NS,
      class: CLASS.IN,
      ttl,
      ns: `ns.${apex}`
    })
  }

  /**
   * Answers one question. `name` is matched case-insensitively and may end with a dot; `type` is
   * a numeric RR type (dns2's `Packet.TYPE`). Answer records carry the name as asked.
   */
  answer(name: string, type: number): ZoneAnswer {
    const owner = withoutDot(name)
    const key = lowerAscii(owner)
    if (key !== this.apex && !key.endsWith(`.${this.apex}`)) return refused()
    // Zone transfers are refused by authoritative servers that do not allow them (as BIND does).
    if (type === TYPE.AXFR || type === TYPE_IXFR) return refused()
    const labels = key === this.apex ? [] : key.slice(0, -this.apex.length - 1).split('.')
    const owned = labels.includes('') ? null : this.lookup(labels)
    if (owned === null) {
      return { rcode: RCODE.NXDOMAIN, answers: [], authorities: [this.soa] }
    }
    const answers: Resource[] = []
    if (type === TYPE.A || type === TYPE.ANY) {
      for (const address of owned.a) answers.push(this.address(owner, TYPE.A, address))
    }
    if (type === TYPE.AAAA || type === TYPE.ANY) {
      for (const address of owned.aaaa) answers.push(this.address(owner, TYPE.AAAA, address))
    }
    if (labels.length === 0) {
      if (type === TYPE.SOA || type === TYPE.ANY) answers.push(this.atOwner(this.soa, owner))
      if (type === TYPE.NS || type === TYPE.ANY) answers.push(this.atOwner(this.ns, owner))
    }
    // NODATA (RFC 2308 §2.2): the name exists but has no record of this type.
    if (answers.length === 0) return { rcode: RCODE.NOERROR, answers, authorities: [this.soa] }
    return { rcode: RCODE.NOERROR, answers, authorities: [] }
  }

  /** The addresses of a name, given its labels below the apex; null if it does not exist. */
  private lookup(labels: string[]): Owned | null {
    if (labels.at(-1) !== EDGES_LABEL) return this.proxy
    // `edges.<zone>` itself is an empty non-terminal: it exists, with no records.
    if (labels.length === 1) return { a: [], aaaa: [] }
    const wanted = labels.slice(0, -1).join('.')
    let found = false
    const owned: Owned = { a: [], aaaa: [] }
    for (const edge of this.edges()) {
      if (lowerAscii(edge.name) !== wanted) continue
      found = true
      // An edge announcing an unusable address still exists; it just has no record for it.
      if (isIPv4(edge.address)) owned.a.push(edge.address)
      const v6 = isIPv6(edge.address) ? canonicalIPv6(edge.address) : null
      if (v6 !== null) owned.aaaa.push(v6)
    }
    return found ? owned : null
  }

  private address(name: string, type: number, address: string): Resource {
    return new Packet.Resource({ name, type, class: CLASS.IN, ttl: this.ttl, address })
  }

  /** An apex record under the name as asked (same name, possibly other case). */
  private atOwner(record: Resource, owner: string): Resource {
    return new Packet.Resource({ ...record, name: owner })
  }
}

function refused(): ZoneAnswer {
  return { rcode: RCODE.REFUSED, answers: [], authorities: [] }
}

function withoutDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/** DNS compares names ignoring ASCII case only (RFC 4343). */
function lowerAscii(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase())
}

function isDomainName(name: string): boolean {
  const labels = name.split('.')
  return (
    name.length <= 253 &&
    labels.every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label))
  )
}

function isUint31(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0x7fffffff
}

/**
 * An IPv6 address in the compressed hex form dns2's AAAA encoder can read (it cannot read an
 * embedded IPv4 tail such as `::ffff:1.2.3.4`, nor a zone index); null when it is not one.
 */
function canonicalIPv6(address: string): string | null {
  if (!isIPv6(address) || address.includes('%')) return null
  return new URL(`http://[${address}]/`).hostname.slice(1, -1)
}
