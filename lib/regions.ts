/**
 * Where regions are: each region id (`<area>-<part>-<airport code>`, or an AWS region id such as
 * `us-east-1`) names a city, so placement can prefer nearby edges before it has measured
 * anything. Distances are great-circle (haversine) kilometres.
 */

/** A point on Earth, in degrees. */
export interface GeoPoint {
  lat: number
  lon: number
}

const TABLE = {
  'us-west-sfo': { lat: 37.62, lon: -122.38 },
  'us-west-sea': { lat: 47.45, lon: -122.31 },
  'us-west-lax': { lat: 33.94, lon: -118.41 },
  'us-central-dfw': { lat: 32.9, lon: -97.04 },
  'us-central-ord': { lat: 41.98, lon: -87.9 },
  'us-east-iad': { lat: 38.95, lon: -77.46 },
  'us-east-jfk': { lat: 40.64, lon: -73.78 },
  'us-east-atl': { lat: 33.64, lon: -84.43 },
  'ca-central-yyz': { lat: 43.68, lon: -79.63 },
  'sa-east-gru': { lat: -23.43, lon: -46.47 },
  'eu-west-lhr': { lat: 51.47, lon: -0.45 },
  'eu-west-dub': { lat: 53.43, lon: -6.25 },
  'eu-west-cdg': { lat: 49.01, lon: 2.55 },
  'eu-central-fra': { lat: 50.04, lon: 8.56 },
  'eu-central-ams': { lat: 52.31, lon: 4.76 },
  'eu-north-arn': { lat: 59.65, lon: 17.92 },
  'eu-south-mxp': { lat: 45.63, lon: 8.72 },
  'me-central-dxb': { lat: 25.25, lon: 55.36 },
  'af-south-jnb': { lat: -26.14, lon: 28.25 },
  'ap-south-bom': { lat: 19.09, lon: 72.87 },
  'ap-southeast-sin': { lat: 1.36, lon: 103.99 },
  'ap-southeast-syd': { lat: -33.95, lon: 151.18 },
  'ap-east-hkg': { lat: 22.31, lon: 113.91 },
  'ap-northeast-nrt': { lat: 35.77, lon: 140.39 },
  'ap-northeast-icn': { lat: 37.46, lon: 126.44 },
  // AWS region ids, at their metro areas, so an edge may be named after the region it mirrors.
  'us-east-1': { lat: 38.95, lon: -77.46 },
  'us-east-2': { lat: 39.96, lon: -83.0 },
  'us-west-1': { lat: 37.35, lon: -121.96 },
  'us-west-2': { lat: 45.84, lon: -119.7 },
  'ca-central-1': { lat: 45.5, lon: -73.57 },
  'sa-east-1': { lat: -23.55, lon: -46.63 },
  'eu-west-1': { lat: 53.35, lon: -6.26 },
  'eu-west-2': { lat: 51.51, lon: -0.13 },
  'eu-west-3': { lat: 48.86, lon: 2.35 },
  'eu-central-1': { lat: 50.11, lon: 8.68 },
  'eu-north-1': { lat: 59.33, lon: 18.07 },
  'eu-south-1': { lat: 45.46, lon: 9.19 },
  'me-central-1': { lat: 24.45, lon: 54.38 },
  'af-south-1': { lat: -33.92, lon: 18.42 },
  'ap-south-1': { lat: 19.08, lon: 72.88 },
  'ap-southeast-1': { lat: 1.35, lon: 103.82 },
  'ap-southeast-2': { lat: -33.87, lon: 151.21 },
  'ap-east-1': { lat: 22.32, lon: 114.17 },
  'ap-northeast-1': { lat: 35.68, lon: 139.69 },
  'ap-northeast-2': { lat: 37.57, lon: 126.98 },
  'ap-northeast-3': { lat: 34.69, lon: 135.5 }
} as const satisfies Record<string, GeoPoint>

/** Every known region id. */
export const REGIONS = Object.keys(TABLE) as readonly (keyof typeof TABLE)[]

/** The position of a region, or null for an id not in the table. */
export function regionPosition(region: string): GeoPoint | null {
  return Object.hasOwn(TABLE, region) ? TABLE[region as keyof typeof TABLE] : null
}

const EARTH_RADIUS_KM = 6_371

/** Great-circle distance in km between two points. */
export function haversineKm(a: GeoPoint, b: GeoPoint): number {
  const rad = Math.PI / 180
  const dLat = (b.lat - a.lat) * rad
  const dLon = (b.lon - a.lon) * rad
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * Distance in km between two regions; an unknown region is treated as far away (half the
 * Earth's circumference) so known neighbours are preferred to it.
 */
export function regionDistanceKm(from: string, to: string): number {
  if (from === to) return 0
  const a = regionPosition(from)
  const b = regionPosition(to)
  return a === null || b === null ? Math.PI * EARTH_RADIUS_KM : haversineKm(a, b)
}
