import t from 'tap'
import { formatGoFloat, formatSampleValue } from '../../src/exposition/format-float.js'

// Produced by Go 1.19 strconv.FormatFloat(math.Float64frombits(bits), 'g', -1, 64): random bit
// patterns, random magnitudes, integers, powers of two and the neighbours of format boundaries.
const GO_OUTPUTS: ReadonlyArray<readonly [string, string]> = [
  ['d80be4740faab4cd', '-1.3737704477325622e+116'],
  ['060bf61c6f49447a', '1.540396434183436e-279'],
  ['ec28644ccb892698', '-1.0264333283926636e+213'],
  ['ca5d0408de8e1351', '-1.6962632495565727e+50'],
  ['b6b2d73a996329fc', '-3.3001871361662526e-45'],
  ['4ffb7d68e9e08e47', '1.989444301085058e+77'],
  ['b3404b4b09fb68ed', '-7.921759283697573e-62'],
  ['f9bbdcc032c40c4d', '-2.4695231127145522e+278'],
  ['1893cee652a876f8', '2.7786113419076023e-190'],
  ['940118f0e6fa34b7', '-2.539357198402259e-212'],
  ['31efe024470b7f7c', '3.6947812277495035e-68'],
  ['506ac2396c55e254', '2.4787555766256825e+79'],
  ['679155d320763f38', '7.723736469041093e+190'],
  ['8bf81019a9c171b1', '-5.2513557380831426e-251'],
  ['b5321570b321d398', '-1.8880316899338823e-52'],
  ['1d684b305ab6cb08', '5.149750600392188e-167'],
  ['f0b722b75a9713eb', '-9.19512409649932e+234'],
  ['45ed91a9d94fc956', '7.3209292938331345e+28'],
  ['f7325971589c6dbf', '-1.4791687247501138e+266'],
  ['f11da51c296dff3a', '-7.540627577975448e+236'],
  ['ea5d08b2516d0005', '-2.275744569141757e+204'],
  ['17abf029126edec1', '1.1959970178647511e-194'],
  ['3c9b58ec86c4e724', '9.488021169806105e-17'],
  ['292c472a5b406a3e', '2.351690352027337e-110'],
  ['230294c60f984ad2', '4.876009555583373e-140'],
  ['3afb2d5893cbda04', '1.4050248365035373e-24'],
  ['8278e1c14b629c69', '-9.511457044868413e-297'],
  ['f95ae8487dfb7994', '-3.7263793447524773e+276'],
  ['d20189d65415b717', '-1.090283387435741e+87'],
  ['150291009802d9ee', '1.807178524838795e-207'],
  ['d1d244ddaa26dfa9', '-1.4196252896015802e+86'],
  ['0c875bdd19da8dab', '2.610026422785385e-248'],
  ['3a52b0008f48027f', '9.434780738157726e-28'],
  ['77b44da489000f95', '4.189889864156261e+268'],
  ['b9519073108b7d9c', '-1.3531010437527657e-32'],
  ['7da9aa68b155a8fa', '2.0981579270937452e+297'],
  ['f296925c4b6615ce', '-9.632547845594187e+243'],
  ['b669832bdfaf83c8', '-1.3965027508130997e-46'],
  ['027bbf259010a617', '1.0606573471263861e-296'],
  ['91e52fee6e2636c5', '-1.8316708470559878e-222'],
  ['ba41a98372615bac', '-4.458556505279224e-28'],
  ['3fab6c03c246167e', '0.053558461632786866'],
  ['426d81b9adb57538', '1.0138438486196631e+12'],
  ['bfb56ae310c20168', '-0.08366221579672628'],
  ['bdc04dd39036a471', '-2.96568204253771e-11'],
  ['425c3000fb845f2d', '4.842578201774871e+11'],
  ['4406ca5dd963e9e7', '5.255130247665686e+19'],
  ['43b5d6d14168b28f', '1.573675198672179e+18'],
  ['c5d40a2ba1fbb4f2', '-2.480798201777998e+28'],
  ['4181c73e4162fd8a', '3.728378417333515e+07'],
  ['bb6115f9f8df52bc', '-1.1306464132180698e-22'],
  ['4272182ebaae31e9', '1.2434420313311194e+12'],
  ['414266821b0979af', '2.411780211226664e+06'],
  ['c2715e24d25a4201', '-1.1935026477161252e+12'],
  ['3f610fc8a5cc30c9', '0.0020827216052393444'],
  ['45a5415a2a59f30d', '3.2890955893757226e+27'],
  ['4411df63ec28df44', '8.242290460162582e+19'],
  ['44dd9c3fb96b3c94', '5.593236475916856e+23'],
  ['3e74c3102102fa54', '7.734434626352642e-08'],
  ['bf71c40ffae30e10', '-0.004337370321255488'],
  ['c4824ffe9f8621f6', '-1.0809779625545502e+22'],
  ['3cbea24109218514', '4.251294436698931e-16'],
  ['457701d850598aee', '4.45024104066413e+26'],
  ['4580046167ac1b28', '6.19631980298126e+26'],
  ['45fc7cf52e9b29f2', '1.4106631865838624e+29'],
  ['c0d09a7203a33996', '-17001.78147202133'],
  ['3b1ce046c6c5ea70', '5.971433377988354e-24'],
  ['3e61a50c46b20d26', '3.286584945255834e-08'],
  ['3bf4c806df9f4f50', '7.040996909340806e-20'],
  ['c4157a272fd7be6e', '-9.904592053706972e+19'],
  ['bc60186931249d32', '-6.980247587407366e-18'],
  ['c1d9584e2ebb5577', '-1.7008703309270914e+09'],
  ['c1ebd333f66b6554', '-3.734609843356119e+09'],
  ['3f50836d1b1fa692', '0.0010078969466981486'],
  ['3adbeb90cc043dc4', '3.608598450965671e-25'],
  ['be83e8bd078c06d9', '-1.483346101713765e-07'],
  ['43ef2d184c6d8ad8', '1.797182804529714e+19'],
  ['3ce4ec06074ebe80', '2.3228049470859144e-15'],
  ['c62300bb6c9b126d', '-7.527808348877218e+29'],
  ['bca57b37cc484e5c', '-1.4905660150319637e-16'],
  ['3ff0000000000000', '1'],
  ['40e53d8000000000', '43500'],
  ['4153b90f00000000', '5.170236e+06'],
  ['41dbd4a201400000', '1.867679749e+09'],
  ['42659fe5f13e4000', '7.43015680498e+11'],
  ['43b06504e8eb4064', '1.1813558756804127e+18'],
  ['40d0e8c000000000', '17315'],
  ['4132780700000000', '1.210375e+06'],
  ['43b0fead1e3a7468', '1.224606494032685e+18'],
  ['43825096e9ea3f95', '1.6496507777764214e+17'],
  ['409bf40000000000', '1789'],
  ['436ce25caee8b816', '6.50414963780323e+16'],
  ['44539542a460dc2d', '1.4449739079860536e+21'],
  ['41ff262f52000000', '8.361538848e+09'],
  ['43bb15e30e444ede', '1.9517156639500447e+18'],
  ['3f76cacd184c2720', '0.0055645'],
  ['3ef9acb900f40e08', '2.44853e-05'],
  ['40b068b333333333', '4200.7'],
  ['4088390c49ba5e35', '775.131'],
  ['40e8a4399999999a', '50465.8'],
  ['3fb25321e603d578', '0.071581'],
  ['3fc1955f78359bc3', '0.137371'],
  ['3fa4042e62e9da24', '0.0390944'],
  ['3fc4d9dfdac68a93', '0.162899'],
  ['40cd21e666666666', '14915.8'],
  ['412e10fe00000000', '985215'],
  ['4123ee0800000000', '653060'],
  ['400982e87d2c7b89', '3.18892'],
  ['3f737cea366a1f59', '0.0047578'],
  ['3f77adb936420660', '0.00578091'],
  ['0000002000000000', '6.7903865311e-313'],
  ['0070000000000000', '1.424047269444609e-306'],
  ['2d30000000000000', '4.909093465297727e-91'],
  ['31f0000000000000', '3.7092061506874214e-68'],
  ['53a0000000000000', '6.674959487252844e+94'],
  ['dc70000000000000', '-1.8607071341967536e+137'],
  ['e0e0000000000000', '-4.39347050248359e+158'],
  ['e460000000000000', '-3.165829138855738e+175'],
  ['7a10000000000000', '9.076030935533344e+279'],
  ['ff80000000000000', '-1.4044477616111843e+306'],
  ['0000000000000012', '9e-323'],
  ['0000000078a42204', '9.999999995e-315'],
  ['034feef63f97d799', '9.999999999999997e-293'],
  ['07414fa7ddefe3a0', '1e-273'],
  ['0db111f32f2f4bc2', '1.0000000000000004e-242'],
  ['11a281e8c275cbdb', '1.0000000000000002e-223'],
  ['1420d51a73deee2a', '9.999999999999995e-212'],
  ['1d0e3113363787f1', '9.999999999999999e-169'],
  ['22de7c5f127bd87d', '9.999999999999999e-141'],
  ['24bc6463225ab7ea', '9.999999999999997e-132'],
  ['277023998cd1053a', '1.0000000000000006e-118'],
  ['2ca0aff95cc5b093', '1.0000000000000001e-93'],
  ['30fc45016d841bac', '1.0000000000000002e-72'],
  ['3b92e3b40a0e9b50', '1.0000000000000001e-21'],
  ['3d3c25c268497684', '1.0000000000000003e-13'],
  ['4059000000000003', '100.00000000000004'],
  ['416312d000000002', '1.0000000000000004e+07'],
  ['42a2309ce53ffffe', '9.999999999999996e+12'],
  ['4341c37937e07ffd', '9.999999999999994e+15'],
  ['430c6bf526340001', '1.0000000000000001e+15'],
  ['46293e5939a08ce9', '9.999999999999999e+29'],
  ['479e17b84357691d', '1.0000000000000002e+37'],
  ['583961219000356c', '1.0000000000000002e+117'],
  ['5a17a2ecc414a03f', '1e+126'],
  ['5e400444244d7cab', '1e+146'],
  ['5e400444244d7cac', '1.0000000000000002e+146'],
  ['64af965966bce059', '1.0000000000000003e+177'],
  ['7019c3bc80c85c7e', '9.999999999999999e+231'],
  ['7a11a0fc668aac6e', '9.999999999999996e+279'],
  ['7f76c8e5ca23902b', '1.0000000000000003e+306'],
  ['0000000000000000', '0'],
  ['8000000000000000', '-0'],
  ['7ff8000000000000', 'NaN'],
  ['7ff0000000000000', '+Inf'],
  ['fff0000000000000', '-Inf'],
  ['3ff0000000000000', '1'],
  ['bff0000000000000', '-1'],
  ['0000000000000001', '5e-324'],
  ['7fefffffffffffff', '1.7976931348623157e+308'],
  ['0000000000000001', '5e-324'],
  ['4340000000000000', '9.007199254740992e+15'],
  ['4340000000000001', '9.007199254740994e+15'],
  ['43f0000000000000', '1.8446744073709552e+19'],
  ['41dac0d8f0449ae8', '1.7953842570719547e+09'],
  ['40fe240b33333333', '123456.7'],
  ['3ee9cb8320b15070', '1.23e-05'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['412e848000000000', '1e+06'],
  ['40f86a0000000000', '100000'],
  ['3f1a36e2eb1c432d', '0.0001'],
  ['3ee4f8b588e368f1', '1e-05'],
  ['0000000000000000', '0'],
  ['0000000000000001', '5e-324'],
  ['0000000000000002', '1e-323'],
  ['000fffffffffffff', '2.225073858507201e-308'],
  ['0010000000000000', '2.2250738585072014e-308'],
  ['0010000000000001', '2.225073858507202e-308'],
  ['3e7ad7f29abcaf47', '9.999999999999998e-08'],
  ['3e7ad7f29abcaf48', '1e-07'],
  ['3e7ad7f29abcaf49', '1.0000000000000001e-07'],
  ['3ee4f8b588e368f0', '9.999999999999999e-06'],
  ['3ee4f8b588e368f1', '1e-05'],
  ['3ee4f8b588e368f2', '1.0000000000000003e-05'],
  ['3f1a36371ea531a7', '9.998999999999998e-05'],
  ['3f1a36371ea531a8', '9.999e-05'],
  ['3f1a36371ea531a9', '9.999000000000001e-05'],
  ['3f1a36e2eb1c432c', '9.999999999999999e-05'],
  ['3f1a36e2eb1c432d', '0.0001'],
  ['3f1a36e2eb1c432e', '0.00010000000000000002'],
  ['3fd3333333333333', '0.3'],
  ['3fd3333333333334', '0.30000000000000004'],
  ['3fd3333333333335', '0.3000000000000001'],
  ['3fd5555555555554', '0.33333333333333326'],
  ['3fd5555555555555', '0.3333333333333333'],
  ['3fd5555555555556', '0.33333333333333337'],
  ['4011666666666665', '4.349999999999999'],
  ['4011666666666666', '4.35'],
  ['4011666666666667', '4.3500000000000005'],
  ['412e847effffffff', '999999.4999999999'],
  ['412e847f00000000', '999999.5'],
  ['412e847f00000001', '999999.5000000001'],
  ['412e847fffffffff', '999999.9999999999'],
  ['412e848000000000', '1e+06'],
  ['412e848000000001', '1.0000000000000001e+06'],
  ['433fffffffffffff', '9.007199254740991e+15'],
  ['4340000000000000', '9.007199254740992e+15'],
  ['4340000000000001', '9.007199254740994e+15'],
  ['4340000000000002', '9.007199254740996e+15'],
  ['444b1ae4d6e2ef4f', '9.999999999999999e+20'],
  ['444b1ae4d6e2ef50', '1e+21'],
  ['444b1ae4d6e2ef51', '1.0000000000000001e+21'],
  ['7e41eb2d66005834', '1.4999999999999998e+300'],
  ['7e41eb2d66005835', '1.5e+300'],
  ['7e41eb2d66005836', '1.5000000000000004e+300'],
  ['81a56e1fc2f8f358', '-9.999999999999999e-301'],
  ['81a56e1fc2f8f359', '-1e-300'],
  ['81a56e1fc2f8f35a', '-1.0000000000000002e-300']
]

function fromBits (hex: string): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt('0x' + hex))
  return view.getFloat64(0)
}

/** A small deterministic generator, so a failure can be reproduced. */
function makeRandom (seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

function randomDouble (random: () => number): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setUint32(0, Math.floor(random() * 2 ** 32))
  view.setUint32(4, Math.floor(random() * 2 ** 32))
  return view.getFloat64(0)
}

/**
 * An independent reference: the shortest digits found by asking toPrecision for 1, 2, … 17
 * significant digits until the result reads back, then Go's %g placement rules applied to digits and
 * exponent taken from toExponential.
 */
function referenceGoFloat (x: number): string {
  let digits = ''
  let exponent = 0
  for (let precision = 1; precision <= 17; precision++) {
    if (Number(x.toPrecision(precision)) !== x) continue
    const [mantissa, exp] = x.toExponential(precision - 1).split('e') as [string, string]
    digits = mantissa.replace('-', '').replace('.', '')
    exponent = Number(exp)
    // toExponential rounds an exact tie up; Go rounds it to an even last digit.
    const [exact, exactExp] = Math.abs(x).toExponential(99).split('e') as [string, string]
    const exactDigits = exact.replace('.', '')
    const lower = exactDigits.slice(0, precision)
    if (/^50*$/.test(exactDigits.slice(precision)) && Number(exactExp) === exponent &&
      Number(lower.at(-1)) % 2 === 0 && Math.abs(Number(lower + 'e' + String(exponent - precision + 1))) === Math.abs(x)) {
      digits = lower
    }
    digits = digits.replace(/0+$/, '')
    break
  }
  const sign = x < 0 ? '-' : ''
  if (exponent < -4 || exponent >= 6) {
    const mantissa = digits.length === 1 ? digits : digits[0] + '.' + digits.slice(1)
    const magnitude = Math.abs(exponent)
    return sign + mantissa + 'e' + (exponent < 0 ? '-' : '+') + (magnitude < 10 ? '0' : '') + String(magnitude)
  }
  if (exponent < 0) return sign + '0.' + '0'.repeat(-exponent - 1) + digits
  const integerDigits = exponent + 1
  if (digits.length <= integerDigits) return sign + digits.padEnd(integerDigits, '0')
  return sign + digits.slice(0, integerDigits) + '.' + digits.slice(integerDigits)
}

t.test('formatGoFloat', async t => {
  t.test('matches the examples of the spec', async t => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [100000, '100000'],
      [1e6, '1e+06'],
      [1234567, '1.234567e+06'],
      [123456.7, '123456.7'],
      [1234567.8, '1.2345678e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [0.000123, '0.000123'],
      [1.5e-7, '1.5e-07'],
      [1795384319.6480982, '1.7953843196480982e+09'],
      [12345678901234567000, '1.2345678901234567e+19'],
      [1e21, '1e+21'],
      [123456789, '1.23456789e+08'],
      [0.0000123, '1.23e-05'],
      [1795384257.0719547, '1.7953842570719547e+09'],
      [1, '1'],
      [-1, '-1'],
      [3.2, '3.2'],
      [-42.125, '-42.125'],
      [1e100, '1e+100'],
      [5e-324, '5e-324'],
      [Number.MAX_VALUE, '1.7976931348623157e+308']
    ]
    for (const [value, expected] of cases) t.equal(formatGoFloat(value), expected, String(value))
  })

  t.test('spells the special values as Prometheus does', async t => {
    t.equal(formatGoFloat(NaN), 'NaN')
    t.equal(formatGoFloat(Infinity), '+Inf')
    t.equal(formatGoFloat(-Infinity), '-Inf')
    t.equal(formatGoFloat(0), '0')
    t.equal(formatGoFloat(-0), '-0')
  })

  t.test('matches Go byte for byte on recorded outputs', async t => {
    for (const [bits, expected] of GO_OUTPUTS) t.equal(formatGoFloat(fromBits(bits)), expected, bits)
  })

  t.test('round-trips random doubles and agrees with an independent reference', async t => {
    const random = makeRandom(20260522)
    let checked = 0
    let mismatches = 0
    for (let i = 0; i < 5000; i++) {
      const x = i % 2 === 0
        ? randomDouble(random)
        : (random() < 0.5 ? -1 : 1) * 10 ** (random() * 40 - 20)
      if (!Number.isFinite(x) || x === 0) continue
      const formatted = formatGoFloat(x)
      checked++
      if (Number(formatted) !== x || formatted !== referenceGoFloat(x)) {
        mismatches++
        t.fail(`${x}: ${formatted} vs ${referenceGoFloat(x)}`)
      }
    }
    t.equal(mismatches, 0)
    t.ok(checked > 4900, 'checked ' + String(checked))
  })

  t.test('agrees with the reference on integers and decimal fractions', async t => {
    const random = makeRandom(7)
    let checked = 0
    let mismatches = 0
    for (let i = 0; i < 2000; i++) {
      const x = i % 2 === 0
        ? Math.round(random() * 10 ** Math.floor(random() * 22))
        : Math.round(random() * 1e6) / 10 ** Math.floor(random() * 12)
      if (x === 0) continue
      const formatted = formatGoFloat(x)
      checked++
      if (formatted !== referenceGoFloat(x)) {
        mismatches++
        t.fail(`${x}: ${formatted} vs ${referenceGoFloat(x)}`)
      }
    }
    t.equal(mismatches, 0, 'no mismatch')
    t.ok(checked > 1900, 'checked ' + String(checked))
  })
})

t.test('formatSampleValue', async t => {
  t.test('writes zero and negative zero as 0', async t => {
    t.equal(formatSampleValue(0), '0')
    t.equal(formatSampleValue(-0), '0')
  })

  t.test('formats everything else as formatGoFloat', async t => {
    for (const value of [1, -1, NaN, Infinity, -Infinity, 1e6, 0.005, 1e-5, 3.2, 1e7]) {
      t.equal(formatSampleValue(value), formatGoFloat(value), String(value))
    }
  })
})
