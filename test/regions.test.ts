import t from 'tap'
import { haversineKm, regionDistanceKm, regionPosition, REGIONS } from '../lib/regions.js'

t.test('every region has a position on Earth', async (t) => {
  t.ok(REGIONS.length >= 20)
  for (const region of REGIONS) {
    const p = regionPosition(region)
    t.ok(p !== null && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180, region)
  }
  t.equal(regionPosition('nowhere'), null)
  t.equal(regionPosition('toString'), null, 'no prototype keys')
})

t.test('haversine distances match known great-circle figures', async (t) => {
  // SFO-IAD is about 3,900 km, FRA-LHR about 650 km, SFO-SYD about 11,900 km.
  t.equal(Math.round(regionDistanceKm('us-west-sfo', 'us-east-iad') / 100), 39)
  t.equal(Math.round(regionDistanceKm('eu-central-fra', 'eu-west-lhr') / 10), 65)
  t.equal(Math.round(regionDistanceKm('us-west-sfo', 'ap-southeast-syd') / 100), 119)
  t.equal(regionDistanceKm('eu-central-fra', 'eu-central-fra'), 0)
  t.equal(
    regionDistanceKm('us-east-iad', 'eu-central-fra'),
    regionDistanceKm('eu-central-fra', 'us-east-iad'),
    'symmetric'
  )
  t.equal(
    Math.round(haversineKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })),
    20015,
    'half the equator'
  )
})

t.test('an unknown region counts as farther than any known one', async (t) => {
  const far = regionDistanceKm('us-west-sfo', 'mars-north-olympus')
  for (const region of REGIONS) t.ok(regionDistanceKm('us-west-sfo', region) < far, region)
})
