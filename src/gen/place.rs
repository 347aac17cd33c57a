//! Places and parties: weighted region codes, short place names, plausible
//! company names and the university table.

use super::util::{chance, index, weighted, GenRng};
use crate::model::codes::{regions, RegionLevel};
use std::collections::BTreeMap;
use std::sync::LazyLock;

const UNIVERSITIES_TSV: &str = include_str!("../../corpora/codes/universities.tsv");

/// Weight of each province outside Guizhou (roughly its weight in manufacturing
/// and platform activity); Guizhou itself gets ~35% of all draws.
const PROVINCE_WEIGHTS: &[(&str, u32)] = &[
    ("11", 30),
    ("12", 20),
    ("13", 40),
    ("14", 20),
    ("15", 20),
    ("21", 30),
    ("22", 20),
    ("23", 20),
    ("31", 30),
    ("32", 90),
    ("33", 80),
    ("34", 50),
    ("35", 40),
    ("36", 30),
    ("37", 70),
    ("41", 50),
    ("42", 50),
    ("43", 50),
    ("44", 90),
    ("45", 30),
    ("46", 10),
    ("50", 40),
    ("51", 60),
    ("53", 30),
    ("54", 5),
    ("61", 30),
    ("62", 15),
    ("63", 7),
    ("64", 10),
    ("65", 15),
];

/// Share of draws that land in Guizhou, in percent.
const GUIZHOU_PERCENT: u32 = 35;

/// Cities and their counties, sorted by code, per province prefix.
struct Geo {
    /// province prefix → [(city code, [county codes])]
    provinces: BTreeMap<String, Vec<(String, Vec<String>)>>,
}

static GEO: LazyLock<Geo> = LazyLock::new(|| {
    let table = regions();
    let mut provinces: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for r in table.iter() {
        match r.level {
            RegionLevel::City => {
                provinces
                    .entry(r.code[..2].to_string())
                    .or_default()
                    .entry(r.code.clone())
                    .or_default();
            }
            RegionLevel::County => {
                if let Some(parent) = &r.parent {
                    provinces
                        .entry(r.code[..2].to_string())
                        .or_default()
                        .entry(parent.clone())
                        .or_default()
                        .push(r.code.clone());
                }
            }
            RegionLevel::Province => {}
        }
    }
    let provinces = provinces
        .into_iter()
        .map(|(p, cities)| {
            let cities = cities
                .into_iter()
                .map(|(c, mut counties)| {
                    counties.sort();
                    (c, counties)
                })
                .collect();
            (p, cities)
        })
        .collect();
    Geo { provinces }
});

/// A province prefix: Guizhou ~35%, the rest by [`PROVINCE_WEIGHTS`].
pub fn province(rng: &mut GenRng) -> &'static str {
    if chance(rng, GUIZHOU_PERCENT) {
        return "52";
    }
    let weights: Vec<u32> = PROVINCE_WEIGHTS.iter().map(|(_, w)| *w).collect();
    PROVINCE_WEIGHTS[weighted(rng, &weights)].0
}

/// A city or county code in a weighted province. The first city of a province
/// (its capital) is three times as likely as any other; `county_percent` of
/// the draws go down to a county of the city.
pub fn region(rng: &mut GenRng, county_percent: u32) -> String {
    let prov = province(rng);
    region_in(rng, prov, county_percent)
}

/// A city or county code inside the province `prov` (two digits).
pub fn region_in(rng: &mut GenRng, prov: &str, county_percent: u32) -> String {
    let Some(cities) = GEO.provinces.get(prov).filter(|c| !c.is_empty()) else {
        return format!("{prov}0000");
    };
    let weights: Vec<u32> = (0..cities.len())
        .map(|i| if i == 0 { 3 } else { 1 })
        .collect();
    let (city, counties) = &cities[weighted(rng, &weights)];
    if !counties.is_empty() && chance(rng, county_percent) {
        counties[index(rng, counties.len())].clone()
    } else {
        city.clone()
    }
}

const ETHNIC_MARKERS: &[&str] = &[
    "布依族",
    "苗族",
    "侗族",
    "土家族",
    "朝鲜族",
    "藏族",
    "羌族",
    "彝族",
    "壮族",
    "哈尼族",
    "傣族",
    "景颇族",
    "白族",
    "傈僳族",
    "回族",
    "蒙古",
    "柯尔克孜",
    "哈萨克",
    "黎族",
    "瑶族",
    "仫佬族",
    "毛南族",
    "仡佬族",
    "水族",
    "土族",
    "撒拉族",
    "裕固族",
    "保安族",
    "东乡族",
    "满族",
    "达斡尔族",
    "鄂温克族",
    "畲族",
    "纳西族",
    "普米族",
    "独龙族",
    "拉祜族",
    "佤族",
    "布朗族",
    "阿昌族",
    "维吾尔",
    "自治",
];

/// The short form of a division name used in company names: `贵阳市` → `贵阳`,
/// `黔东南苗族侗族自治州` → `黔东南`, `广西壮族自治区` → `广西`.
pub fn short_name(name: &str) -> String {
    let mut s = name;
    if let Some(i) = ETHNIC_MARKERS
        .iter()
        .filter_map(|m| s.find(m))
        .filter(|&i| s[..i].chars().count() >= 2)
        .min()
    {
        s = &s[..i];
    }
    for suffix in [
        "特别行政区",
        "自治区",
        "自治州",
        "自治县",
        "地区",
        "林区",
        "新区",
        "省",
        "市",
        "盟",
        "县",
        "区",
    ] {
        if let Some(stripped) = s.strip_suffix(suffix) {
            if stripped.chars().count() >= 2 {
                s = stripped;
                break;
            }
        }
    }
    s.to_string()
}

/// The place name a firm in `code` would carry: its city, or for municipalities
/// and directly administered counties the province or the county.
pub fn place_name(code: &str) -> String {
    let table = regions();
    let Some(r) = table.get(code) else {
        return "贵州".into();
    };
    let city = match r.level {
        RegionLevel::County => r.parent.as_deref().and_then(|p| table.get(p)),
        RegionLevel::City => Some(r),
        RegionLevel::Province => None,
    };
    let province = table.get(&format!("{}0000", &code[..2]));
    match city {
        Some(c) if c.name.contains("直辖") || c.name == "县" => {
            if r.level == RegionLevel::County {
                short_name(&r.name)
            } else {
                province.map(|p| short_name(&p.name)).unwrap_or_default()
            }
        }
        Some(c) => short_name(&c.name),
        None => province.map(|p| short_name(&p.name)).unwrap_or_default(),
    }
}

/// Short name of the province a code belongs to (`520102` → `贵州`).
pub fn province_short(code: &str) -> String {
    regions()
        .get(&format!("{}0000", &code[..2]))
        .map(|p| short_name(&p.name))
        .unwrap_or_default()
}

/// Full name of a region (`520102` → `贵州省贵阳市南明区`).
pub fn full_name(code: &str) -> String {
    let table = regions();
    let mut names = Vec::new();
    let mut cur = table.get(code);
    while let Some(r) = cur {
        names.push(r.name.as_str());
        cur = r.parent.as_deref().and_then(|p| table.get(p));
    }
    names.reverse();
    names.dedup();
    names.retain(|n| !n.contains("直辖") && *n != "县");
    names.concat()
}

const BRAND_CHARS: &[&str] = &[
    "恒", "鑫", "源", "泰", "瑞", "达", "盛", "华", "宏", "博", "凯", "诚", "信", "联", "丰", "锦",
    "腾", "远", "昌", "隆", "汇", "通", "安", "顺", "力", "德", "正", "品", "合", "嘉", "佳", "天",
    "兴", "永", "志", "卓", "晟", "峰", "航", "铭", "宇", "明", "伟", "立", "海", "山", "川", "乾",
    "坤", "润", "欣", "优", "创", "捷", "利", "富", "益", "旺", "康", "奥", "拓", "维", "驰", "骏",
    "晶", "精", "友",
];

/// A two-character brand made of distinct characters, e.g. `恒瑞`.
pub fn brand(rng: &mut GenRng) -> String {
    let a = index(rng, BRAND_CHARS.len());
    let mut b = index(rng, BRAND_CHARS.len() - 1);
    if b >= a {
        b += 1;
    }
    format!("{}{}", BRAND_CHARS[a], BRAND_CHARS[b])
}

/// An SME's name: `{place}{brand}{business}有限公司` and a few variants.
pub fn sme_name(rng: &mut GenRng, region: &str, business: &str) -> String {
    let place = place_name(region);
    let brand = brand(rng);
    match weighted(rng, &[70, 12, 10, 8]) {
        0 => format!("{place}{brand}{business}有限公司"),
        1 => format!("{place}市{brand}{business}有限责任公司").replace("市市", "市"),
        2 => format!("{brand}{business}（{place}）有限公司"),
        _ => format!("{}{brand}{business}股份有限公司", province_short(region)),
    }
}

/// A chain-leader firm's name, e.g. `贵州黔锋汽车集团有限公司`.
pub fn large_firm_name(rng: &mut GenRng, region: &str, business: &str) -> String {
    let prov = province_short(region);
    let place = place_name(region);
    let brand = brand(rng);
    match weighted(rng, &[35, 25, 20, 20]) {
        0 => format!("{prov}{brand}{business}集团有限公司"),
        1 => format!("{brand}{business}股份有限公司"),
        2 => format!("{place}{brand}{business}有限公司"),
        _ => format!("{prov}{brand}{business}（集团）有限责任公司"),
    }
}

/// A university from the MOE 2017 list with the region code of its city.
#[derive(Debug, Clone)]
pub struct University {
    /// Official name.
    pub name: String,
    /// Six-digit code of the city (province code if the city is not found).
    pub region: String,
    /// `本科` or `专科`.
    pub level: String,
}

/// All universities, in file order, with their region resolved.
pub fn universities() -> &'static [University] {
    static LIST: LazyLock<Vec<University>> = LazyLock::new(|| {
        let table = regions();
        let mut provinces: BTreeMap<String, String> = BTreeMap::new();
        let mut by_name: BTreeMap<String, Vec<(String, RegionLevel)>> = BTreeMap::new();
        for r in table.iter() {
            if r.level == RegionLevel::Province {
                provinces.insert(r.name.clone(), r.code.clone());
            }
            by_name
                .entry(r.name.clone())
                .or_default()
                .push((r.code.clone(), r.level));
        }
        for v in by_name.values_mut() {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        UNIVERSITIES_TSV
            .lines()
            .skip(1)
            .filter_map(|line| {
                let cols: Vec<&str> = line.split('\t').collect();
                if cols.len() < 4 || cols[0].is_empty() {
                    return None;
                }
                let region = resolve_city(&provinces, &by_name, cols[1], cols[2]);
                Some(University {
                    name: cols[0].to_string(),
                    region,
                    level: cols[3].to_string(),
                })
            })
            .collect()
    });
    &LIST
}

/// The code of `city` inside `province`: a city-level division of that name in
/// the province, else any division of that name in the province, else a
/// city-level division of that name anywhere (a campus across a border, e.g.
/// 河北工业大学 in 天津市), else the province itself.
fn resolve_city(
    provinces: &BTreeMap<String, String>,
    by_name: &BTreeMap<String, Vec<(String, RegionLevel)>>,
    province: &str,
    city: &str,
) -> String {
    let prov = provinces.get(province).cloned();
    let prefix = prov.as_deref().map(|p| &p[..2]);
    let candidates = by_name.get(city).map(Vec::as_slice).unwrap_or(&[]);
    let in_prov = |level: Option<RegionLevel>| {
        candidates.iter().find(|(code, l)| {
            prefix.is_some_and(|p| code.starts_with(p)) && level.is_none_or(|want| *l == want)
        })
    };
    in_prov(Some(RegionLevel::City))
        .or_else(|| in_prov(Some(RegionLevel::County)))
        .or_else(|| candidates.iter().find(|(_, l)| *l == RegionLevel::City))
        .map(|(code, _)| code.clone())
        .or(prov)
        .unwrap_or_else(|| "520000".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::codes::regions;

    #[test]
    fn short_names() {
        assert_eq!(short_name("贵阳市"), "贵阳");
        assert_eq!(short_name("黔东南苗族侗族自治州"), "黔东南");
        assert_eq!(short_name("黔西南布依族苗族自治州"), "黔西南");
        assert_eq!(short_name("广西壮族自治区"), "广西");
        assert_eq!(short_name("新疆维吾尔自治区"), "新疆");
        assert_eq!(short_name("内蒙古自治区"), "内蒙古");
        assert_eq!(short_name("三都水族自治县"), "三都");
        assert_eq!(short_name("阿拉善盟"), "阿拉善");
        assert_eq!(place_name("520102"), "贵阳");
        assert_eq!(place_name("110105"), "北京");
        assert_eq!(full_name("520102"), "贵州省贵阳市南明区");
    }

    #[test]
    fn universities_resolve_to_known_regions() {
        let list = universities();
        assert!(list.len() > 2600);
        for u in list {
            assert!(regions().get(&u.region).is_some(), "{u:?}");
        }
        let find = |n: &str| list.iter().find(|u| u.name == n).unwrap().region.clone();
        assert_eq!(find("贵州大学"), "520100");
        assert_eq!(find("北京大学"), "110100");
        assert_eq!(find("河北工业大学"), "120100");
    }

    #[test]
    fn regions_are_known() {
        let mut rng = super::super::util::rng_for(3, 4);
        let mut gz = 0;
        for _ in 0..2000 {
            let code = region(&mut rng, 70);
            assert!(regions().get(&code).is_some(), "{code}");
            if code.starts_with("52") {
                gz += 1;
            }
        }
        assert!((550..850).contains(&gz), "{gz}");
    }
}
