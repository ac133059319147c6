/**
 * Chinese names for the demo district: roads (Changzhou-style: 龙城大道, 和平路 …), compounds (…小区/…花园/…苑),
 * parks, squares, schools. Names are chosen by ordinal, so they are deterministic and (within a list's length)
 * unique; past the end of a list a Chinese ordinal is appended (二期, 三期 … / 二支路 …).
 */

/** E–W and N–S main roads (many real Changzhou names; the district itself is invented). */
export const MAIN_ROADS_EW = [
  '龙城大道', '延陵路', '晋陵路', '关河路', '劳动路', '中吴大道', '太湖路', '长江路', '通江大道', '青洋路',
  '玉塘路', '常澄路', '飞龙路', '汉江路', '黄河路', '衡山路', '嫩江路', '辽河路', '竹林路', '丽华路',
  '红梅路', '紫荆路', '惠民路', '永宁路', '兴宁路', '大通路', '浦前路', '星港路', '天目山路', '黄山路',
];
export const MAIN_ROADS_NS = [
  '和平路', '广化路', '兰陵路', '东经120路', '通江路', '龙江路', '常武路', '人民路', '健身路', '花园路',
  '怀德路', '新堂路', '青龙路', '凤凰路', '丁香路', '茶山路', '采菱路', '鸣新路', '湖塘路', '武宜路',
  '聚湖路', '滆湖路', '淹城路', '花园街', '府琛路', '月季路', '蓝天路', '东方路', '清潭路', '白云路',
];
export const BRANCH_ROADS = [
  '桃园路', '清凉路', '北直街', '东横街', '局前街', '县直街', '南大街', '椿桂坊', '觅渡桥路', '丽华北路',
  '博爱路', '西新桥路', '勤业路', '五星路', '新闸路', '荷花池街', '罗汉路', '化龙巷', '双桂坊', '迎春路',
  '兰园路', '翠竹路', '青枫路', '梅园路', '紫云路', '东坡路', '白荡路', '后塘路', '前河路', '雕庄路',
  '香樟路', '银杏路', '桂花路', '石榴路', '枫林路', '芦墅路', '薛家路', '三井路', '河海路', '泰山路',
];

/** two-character words used for compounds, parks, squares and schools */
export const WORDS = [
  '翠竹', '青枫', '红梅', '紫荆', '丽华', '清潭', '兰陵', '白云', '勤业', '博爱',
  '五星', '荷园', '龙锦', '东仓', '西新', '花园', '桃源', '清凉', '锦绣', '怡康',
  '和苑', '景秀', '金色', '新城', '阳光', '蓝湾', '江南', '星河', '玉兰', '海棠',
  '香樟', '银杏', '桂语', '枫林', '月季', '芳华', '湖滨', '滨河', '嘉禾', '永红',
  '广成', '丰臣', '华润', '瑞和', '世纪', '天安', '新北', '东方', '盛世', '凤凰',
  '紫薇', '朝阳', '常青', '书香', '文华', '河畔', '水岸', '富都', '恒泰', '绿都',
];

const COMPOUND_SUFFIXES = ['小区', '花园', '苑'];
const DIGITS = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** 1 → 一, 12 → 十二, 20 → 二十, 105 → 一百零五 (enough for ordinals in names). */
export function chineseNumeral(n: number): string {
  if (n < 10) return DIGITS[n]!;
  if (n < 20) return '十' + (n % 10 ? DIGITS[n % 10] : '');
  if (n < 100) return DIGITS[Math.floor(n / 10)]! + '十' + (n % 10 ? DIGITS[n % 10] : '');
  const h = Math.floor(n / 100);
  const r = n % 100;
  if (r === 0) return DIGITS[h] + '百';
  return DIGITS[h] + '百' + (r < 10 ? '零' + DIGITS[r] : r < 20 ? '一' + chineseNumeral(r) : chineseNumeral(r));
}

/** k-th name from a list, stepping with a stride coprime to its length so neighbours differ. */
function nth(list: readonly string[], k: number, stride: number): string {
  return list[(k * stride) % list.length]!;
}

/** phase ≥ 1 → '二期', '三期' … (phase 0 → '') */
function phaseSuffix(phase: number): string {
  return phase === 0 ? '' : chineseNumeral(phase + 1) + '期';
}

export function compoundName(k: number): string {
  const n = WORDS.length * COMPOUND_SUFFIXES.length;
  const i = k % n;
  // (word, suffix) pairs are all distinct for i < n: each block of WORDS.length shifts the suffix by one
  const suffix = COMPOUND_SUFFIXES[(i + Math.floor(i / WORDS.length)) % COMPOUND_SUFFIXES.length];
  return nth(WORDS, i, 7) + suffix + phaseSuffix(Math.floor(k / n));
}

export function parkName(k: number): string {
  return nth(WORDS, k + 3, 11) + '公园' + phaseSuffix(Math.floor(k / WORDS.length));
}
export function squareName(k: number): string {
  return nth(WORDS, k + 5, 13) + '广场' + phaseSuffix(Math.floor(k / WORDS.length));
}
export function schoolName(k: number): string {
  return nth(WORDS, k + 9, 17) + '小学' + (k >= WORDS.length ? '第' + chineseNumeral(Math.floor(k / WORDS.length) + 1) + '校区' : '');
}
export function gardenName(k: number): string {
  return nth(WORDS, k + 1, 19) + '游园' + phaseSuffix(Math.floor(k / WORDS.length));
}

/** road name for grid line i; past the list, '…二支路', '…三支路' … of the base name */
export function roadName(list: readonly string[], i: number): string {
  const base = list[i % list.length]!;
  const round = Math.floor(i / list.length);
  if (round === 0) return base;
  return base.replace(/(大道|路|街|坊)$/, '') + chineseNumeral(round + 1) + '支路';
}

/** Districts of Changzhou by quadrant around the origin (for the CSV's 地址). */
export function districtName(x: number, y: number): string {
  if (y > 3000) return '新北区';
  if (y < -3000) return '武进区';
  return x < 0 ? '钟楼区' : '天宁区';
}
