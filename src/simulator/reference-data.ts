/**
 * The reference deployment's master data: a baby-products shop selling across Chinese channels,
 * shipping from regional warehouses and stores through domestic carriers. Values follow the
 * recorded examples so that simulated traffic reads like the real systems' traffic.
 */

export interface Product {
  sku: string;
  name: string;
  /** Unit price in fen (1/100 CNY). */
  priceCents: number;
}

export const PRODUCTS: readonly Product[] = [
  { sku: 'SKU-MILK-900', name: '婴幼儿配方奶粉 900g', priceCents: 26800 },
  { sku: 'SKU-DIAPER-L', name: '纸尿裤 L 码 54片', priceCents: 12990 },
  { sku: 'SKU-DIAPER-M', name: '纸尿裤 M 码 64片', priceCents: 11990 },
  { sku: 'SKU-WIPES-80', name: '湿巾 80抽×6', priceCents: 3990 },
  { sku: 'SKU-BOTTLE-240', name: '宽口径奶瓶 240ml', priceCents: 8900 },
  { sku: 'SKU-TOY-RATTLE', name: '摇铃玩具', priceCents: 2550 },
  { sku: 'SKU-GIFT-CARD', name: '育儿顾问联系卡', priceCents: 0 },
  { sku: 'SKU-CREAM-50', name: '婴儿润肤霜 50g', priceCents: 6800 },
  { sku: 'SKU-BIB-3P', name: '防水围兜 3条装', priceCents: 4500 },
  { sku: 'SKU-CEREAL-225', name: '高铁米粉 225g', priceCents: 5900 },
  { sku: 'SKU-SPOON-2P', name: '软头喂养勺 2支装', priceCents: 1990 },
  { sku: 'SKU-STROLLER', name: '轻便婴儿推车', priceCents: 129900 },
];

export const CHANNELS = ['MEITUAN', 'JD_DAOJIA', 'MINI_PROGRAM', 'TMALL', 'DOUYIN', 'WEB', 'POS'] as const;

export const MEMBER_TIERS = ['V1', 'V2', 'V3', 'V4', null] as const;

export const BUYER_NOTES = [null, null, null, '请放快递柜', '工作日送达', '送货前请电话联系', '周末送货', '不要按门铃'] as const;

export const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭'] as const;

export const GIVEN_NAMES = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '洋', '艳', '勇', '军', '杰', '娟', '涛', '明', '超', '秀英', '桂英', '志强', '晓燕', '子涵', '浩然', '欣怡'] as const;

export interface City {
  province: string;
  city: string;
  districts: readonly string[];
  postcodePrefix: string;
}

export const CITIES: readonly City[] = [
  { province: '上海市', city: '上海市', districts: ['浦东新区', '徐汇区', '静安区', '闵行区'], postcodePrefix: '200' },
  { province: '北京市', city: '北京市', districts: ['朝阳区', '海淀区', '东城区'], postcodePrefix: '100' },
  { province: '浙江省', city: '杭州市', districts: ['西湖区', '滨江区', '拱墅区'], postcodePrefix: '310' },
  { province: '江苏省', city: '南京市', districts: ['鼓楼区', '玄武区', '建邺区'], postcodePrefix: '210' },
  { province: '广东省', city: '深圳市', districts: ['南山区', '福田区', '宝安区'], postcodePrefix: '518' },
  { province: '广东省', city: '广州市', districts: ['天河区', '越秀区'], postcodePrefix: '510' },
  { province: '四川省', city: '成都市', districts: ['武侯区', '锦江区'], postcodePrefix: '610' },
];

export const STREETS = ['世纪大道', '中山北路', '新华路', '人民路', '南京西路', '文三路', '科技园路', '建国路', '解放路', '长江路', '天府大道'] as const;

export interface Warehouse {
  id: string;
  city: string;
}

export const WAREHOUSES: readonly Warehouse[] = [
  { id: 'WH-SH-01', city: '上海市' },
  { id: 'WH-HZ-02', city: '杭州市' },
  { id: 'WH-NJ-01', city: '南京市' },
  { id: 'WH-BJ-01', city: '北京市' },
  { id: 'WH-SZ-01', city: '深圳市' },
];

/** Sorting centres parcels pass through between origin and destination. */
export const HUB_CITIES = ['上海市', '杭州市', '南京市', '北京市', '深圳市', '武汉市', '郑州市'] as const;

/** Long-distance carriers; `CITY_COURIER` only serves store fulfilment within one city. */
export const CARRIERS = ['SF', 'JD', 'ZTO', 'YTO', 'STO', 'EMS'] as const;

export const SIGNERS = ['本人', '本人', '本人', '家人', '快递柜', '前台', '门卫'] as const;

export const EXCEPTION_CODES = ['WEATHER', 'ADDRESS_ISSUE', 'DAMAGED', 'LOST', 'REFUSED'] as const;

export const SHORT_PICK_REASONS = ['BIN_EMPTY', 'OUT_OF_STOCK', 'DAMAGED_STOCK'] as const;

export const REROUTE_REASONS = ['STOCK_TRANSFER', 'WAREHOUSE_CAPACITY'] as const;

export const AFTER_SALES_REASONS = ['尺码不合适', '不想要了', '商品破损', '质量问题', '发错货'] as const;

export const REJECTION_REASONS = ['超过退货期限', '商品已使用', '缺少凭证'] as const;
