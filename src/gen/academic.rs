//! Fields an achievement's source does not give, filled from the seed:
//! the discipline → GB/T 4754 division table, the institution (a real
//! university whose profile fits the discipline), maturity with a consistent
//! TRL, transfer modes, asking price and intellectual property.

use super::place::{universities, University};
use super::util::{between, chance, skewed, weighted, GenRng};
use crate::model::{CoopMode, IpInfo, Maturity, PatentType};
use std::sync::LazyLock;

/// How close a discipline is to products: 2 engineering, agriculture and
/// medicine; 1 natural sciences; 0 humanities and social sciences.
type Applied = u8;

/// One discipline of the CSL label set.
struct Disc {
    /// Discipline as written in CSL.
    name: &'static str,
    /// Default GB/T 4754 division.
    div: &'static str,
    /// `kw/kw:div;…` — the first rule whose keyword occurs in the title or keywords wins.
    rules: &'static str,
    /// Substrings of university names that fit the discipline, `|`-separated.
    uni: &'static str,
    applied: Applied,
}

const DISCIPLINES: &[Disc] = &[
    Disc { name: "兵器科学与技术", div: "37", rules: "弹药/炸药/火药/火工/含能:26;制导/导航/控制/雷达:40;装甲/车辆:36", uni: "理工|航空|航天|兵器|工业", applied: 2 },
    Disc { name: "交通运输工程", div: "54", rules: "铁路/高铁/轨道/列车/地铁:53;船/港口/航道/水运/航运:55;航空/机场/航班:56;路面/沥青/路基/桥:48;汽车/车辆/驾驶:36;物流/配送/多式联运:58", uni: "交通|铁道|理工|长安", applied: 2 },
    Disc { name: "食品科学与工程", div: "14", rules: "白酒/黄酒/啤酒/葡萄酒/酿酒/饮料/果汁/茶:15;肉/屠宰/水产/鱼/虾/淀粉/大米/稻谷/小麦/油脂/植物油/饲料:13", uni: "农业|农林|食品|轻工|工商", applied: 2 },
    Disc { name: "园艺学", div: "01", rules: "贮藏/保鲜/采后/加工:13", uni: "农业|农林", applied: 2 },
    Disc { name: "中医学/中药学", div: "27", rules: "患者/临床/针刺/针灸/治疗/护理/病例:84;种植/栽培/药材/GAP:01", uni: "中医|医药|药科", applied: 2 },
    Disc { name: "材料科学与工程", div: "30", rules: "钢/铁素体/奥氏体/马氏体/铸铁:31;铝/镁/钛/铜/镍/锌/合金:32;高分子/聚合/树脂/塑料/橡胶/聚乙烯/聚丙烯:29;电池/电极/锂/储能/超级电容:38;半导体/薄膜/光电/发光/量子点:39;纤维/纺丝:28;涂层/镀层/涂料:26", uni: "理工|科技|工业|材料|化工", applied: 2 },
    Disc { name: "基础医学/临床医学", div: "84", rules: "药物/制剂/给药/药代:27;支架/导管/器械/假体/植入:35", uni: "医科|医学|医药", applied: 2 },
    Disc { name: "化学/化学工程与技术", div: "26", rules: "药物/医药/抗肿瘤:27;石油/炼油/柴油/汽油/焦炭/煤焦油:25;电池/电极/电解液:38;塑料/橡胶:29;纤维:28", uni: "化工|理工|科技|石油", applied: 2 },
    Disc { name: "体育学", div: "89", rules: "器材/装备/运动鞋:24", uni: "体育|师范", applied: 0 },
    Disc { name: "药学", div: "27", rules: "", uni: "药科|医药|医科|中医", applied: 2 },
    Disc { name: "新闻传播学", div: "86", rules: "广播/电视/电影/短视频:87;网络/互联网/新媒体:64", uni: "传媒|师范|新闻", applied: 0 },
    Disc { name: "哲学", div: "73", rules: "", uni: "师范", applied: 0 },
    Disc { name: "信息与通信工程", div: "39", rules: "算法/图像/识别/检测/信号处理/压缩/编码/学习:65;网络/通信/无线/信道/5G/4G/LTE:63", uni: "邮电|电子|信息|理工", applied: 2 },
    Disc { name: "矿业工程", div: "06", rules: "铁矿:08;铜/铅/锌/金矿/铝土/锰/钨/钼/稀土/选矿/浮选:09;磷/石灰石/石膏/非金属:10;石油/天然气:07", uni: "矿业|理工|科技|工程", applied: 2 },
    Disc { name: "力学", div: "73", rules: "桥/梁/混凝土/结构/隧道/岩/边坡/地基:48;叶轮/泵/风机/转子/轴承:34;飞行器/机翼/航空:37", uni: "理工|科技|工业|航空", applied: 1 },
    Disc { name: "农业工程", div: "35", rules: "灌溉/灌区/节水:05;干燥/烘干/贮藏:05;温室/设施农业:01", uni: "农业|农林|农机", applied: 2 },
    Disc { name: "历史学", div: "73", rules: "文物/遗址/考古/博物馆/档案:88", uni: "师范|民族", applied: 0 },
    Disc { name: "计算机科学与技术", div: "65", rules: "芯片/处理器/硬件/FPGA:39;互联网/网页/搜索/云计算:64", uni: "理工|科技|电子|信息|邮电", applied: 2 },
    Disc { name: "纺织科学与工程", div: "17", rules: "服装/服饰/款式/着装:18;纤维/纺丝/聚酯/锦纶/化纤:28;非织造/无纺:17", uni: "纺织|服装|工程|理工", applied: 2 },
    Disc { name: "水产", div: "04", rules: "加工/保鲜/鱼糜/冷冻/贮藏:13;饲料:13", uni: "海洋|水产|农业", applied: 2 },
    Disc { name: "环境科学与工程", div: "77", rules: "污水/废水处理厂/再生水:46;监测:74", uni: "环境|理工|科技|农业", applied: 2 },
    Disc { name: "地理学", div: "74", rules: "旅游:78;土地/耕地:79", uni: "师范|地质", applied: 1 },
    Disc { name: "土木工程", div: "48", rules: "住宅/房屋/建筑结构/框架/剪力墙/高层:47;装修/幕墙:50;水泥/混凝土材料/砂浆:30", uni: "建筑|交通|理工|科技|铁道", applied: 2 },
    Disc { name: "法学", div: "72", rules: "", uni: "政法|法学|财经", applied: 0 },
    Disc { name: "民族学", div: "73", rules: "旅游:78;文化遗产/非遗/民俗:88", uni: "民族", applied: 0 },
    Disc { name: "大气科学", div: "74", rules: "", uni: "气象|信息工程", applied: 1 },
    Disc { name: "机械工程", div: "34", rules: "汽车/车辆/发动机/变速器:36;农机/收获机/播种/插秧:35;矿山/掘进/采煤机/液压支架:35;机器人:34;机床/刀具/切削:34", uni: "机械|理工|科技|工业|工程", applied: 2 },
    Disc { name: "公共管理", div: "72", rules: "医疗/卫生/医院:84;教育/学校:83", uni: "财经|政法|行政|师范", applied: 0 },
    Disc { name: "图书馆、情报与档案管理", div: "88", rules: "专利/知识产权/情报:75;数据/信息检索/数字图书馆:65", uni: "师范", applied: 0 },
    Disc { name: "石油与天然气工程", div: "07", rules: "钻井/压裂/完井/测井/固井/钻头:11;管道/管线/输送:57;炼油/催化裂化:25", uni: "石油", applied: 2 },
    Disc { name: "政治学", div: "73", rules: "", uni: "政法|师范|民族", applied: 0 },
    Disc { name: "动力工程及工程热物理", div: "44", rules: "内燃机/发动机/柴油机/汽轮机/压气机/涡轮:34;换热/制冷/空调/热泵:34;锅炉:34", uni: "电力|理工|能源|科技", applied: 2 },
    Disc { name: "电气工程", div: "38", rules: "电网/配电网/输电/电力系统/调度/负荷:44", uni: "电力|理工|电气|工业", applied: 2 },
    Disc { name: "电子科学与技术", div: "39", rules: "", uni: "电子|理工|科技", applied: 2 },
    Disc { name: "林学/林业工程", div: "02", rules: "木材/人造板/胶合板/竹材/刨花板/纤维板/木质:20;家具:21;制浆/造纸:22", uni: "林业|农林|农业", applied: 2 },
    Disc { name: "理论经济学", div: "73", rules: "", uni: "财经|经济|商", applied: 0 },
    Disc { name: "农林经济管理", div: "05", rules: "", uni: "农业|农林|财经", applied: 0 },
    Disc { name: "应用经济学", div: "72", rules: "银行/金融/信贷/货币:66;保险:68;证券/股票/资本市场:67", uni: "财经|经济|商", applied: 0 },
    Disc { name: "水利工程", div: "76", rules: "水电站/水轮机/发电:44;大坝/堤防/渠道/隧洞/施工:48", uni: "水利|河海|水电|理工", applied: 2 },
    Disc { name: "冶金工程", div: "31", rules: "铝/铜/锌/镍/钛/镁/稀土/金/银/钨/钼/锑/锡:32", uni: "冶金|钢铁|理工|科技|矿业", applied: 2 },
    Disc { name: "工商管理", div: "72", rules: "", uni: "财经|商|工商", applied: 0 },
    Disc { name: "艺术学", div: "88", rules: "设计/包装/工艺品:24", uni: "艺术|美术|音乐|传媒", applied: 0 },
    Disc { name: "作物学", div: "01", rules: "种子/育种/品种选育:05", uni: "农业|农林", applied: 2 },
    Disc { name: "船舶与海洋工程", div: "37", rules: "港口/码头/海上风电/海洋平台:48", uni: "海洋|海事|船舶|哈尔滨工程|江苏科技", applied: 2 },
    Disc { name: "地质学/地质资源与地质工程", div: "74", rules: "油气/页岩气/储层/石油/天然气:07;煤层/煤矿:06", uni: "地质|矿业|石油", applied: 1 },
    Disc { name: "畜牧学/兽医学", div: "03", rules: "疫苗/兽药/药物/抗菌:27;饲料/日粮/添加剂:13", uni: "农业|农林|畜牧", applied: 2 },
    Disc { name: "数学", div: "73", rules: "", uni: "师范|理工", applied: 1 },
    Disc { name: "建筑学", div: "74", rules: "施工/结构/住宅:47;园林/景观/绿化:48", uni: "建筑|理工", applied: 1 },
    Disc { name: "军事学", div: "73", rules: "", uni: "理工|航空|国防", applied: 0 },
    Disc { name: "光学工程", div: "40", rules: "光纤/光缆:38;激光器/LED/光电子/探测器:39", uni: "光|理工|科技", applied: 2 },
    Disc { name: "口腔医学", div: "84", rules: "材料/种植体/树脂/陶瓷/义齿:35", uni: "医科|医学", applied: 2 },
    Disc { name: "控制科学与工程", div: "40", rules: "机器人/机械臂:34;算法/神经网络/学习/优化:65", uni: "理工|科技|工业|电子", applied: 2 },
    Disc { name: "测绘科学与技术", div: "74", rules: "", uni: "测绘|地质|理工|建筑", applied: 2 },
    Disc { name: "生物学/生物科学与工程", div: "73", rules: "发酵/酶/菌株/工程菌:27", uni: "农业|医科|师范|科技", applied: 1 },
    Disc { name: "核科学与技术", div: "73", rules: "反应堆/核电/燃料组件:44;辐照/加速器/探测器:40", uni: "理工|核|科技", applied: 1 },
    Disc { name: "教育学", div: "83", rules: "", uni: "师范|教育", applied: 0 },
    Disc { name: "心理学", div: "73", rules: "咨询/心理健康:84", uni: "师范", applied: 0 },
    Disc { name: "海洋科学", div: "74", rules: "养殖/渔业:04", uni: "海洋", applied: 1 },
    Disc { name: "公共卫生与预防医学", div: "84", rules: "检测/试剂:74", uni: "医科|医学", applied: 2 },
    Disc { name: "农业资源利用", div: "01", rules: "肥料/有机肥/化肥/复合肥:26;土壤修复/污染:77", uni: "农业|农林", applied: 2 },
    Disc { name: "中国语言文学", div: "73", rules: "出版/编辑:86", uni: "师范|语言", applied: 0 },
    Disc { name: "社会学", div: "73", rules: "养老/社会工作/社区:85", uni: "师范|政法|民族", applied: 0 },
    Disc { name: "物理学", div: "73", rules: "激光/光学/光子:40;半导体/薄膜/器件:39", uni: "师范|理工|科技", applied: 1 },
    Disc { name: "航空宇航科学与技术", div: "37", rules: "", uni: "航空|航天", applied: 2 },
    Disc { name: "地球物理学", div: "74", rules: "地震勘探/油气/储层:11", uni: "地质|石油", applied: 1 },
    Disc { name: "天文学", div: "73", rules: "", uni: "师范", applied: 0 },
    Disc { name: "植物保护", div: "05", rules: "农药/杀虫剂/杀菌剂/除草剂:26", uni: "农业|农林", applied: 2 },
];

fn disc(name: &str) -> Option<&'static Disc> {
    DISCIPLINES.iter().find(|d| d.name == name)
}

/// Number of disciplines in the hand-written table.
#[cfg(test)]
pub fn discipline_count() -> usize {
    DISCIPLINES.len()
}

/// The GB/T 4754 division for a discipline and the achievement's text
/// (title and keywords), or `None` for a discipline outside the table.
pub fn industry_for(discipline: &str, text: &str) -> Option<String> {
    let d = disc(discipline)?;
    for rule in d.rules.split(';').filter(|r| !r.is_empty()) {
        let (kws, div) = rule.split_once(':')?;
        if kws.split('/').any(|k| text.contains(k)) {
            return Some(div.to_string());
        }
    }
    Some(d.div.to_string())
}

fn applied(discipline: &str) -> Applied {
    disc(discipline).map_or(1, |d| d.applied)
}

/// Regular undergraduate universities (本科, no independent colleges) with a
/// weight: `…大学` 3, `…学院` 1.
fn undergrad() -> &'static [(&'static University, u32)] {
    static LIST: LazyLock<Vec<(&'static University, u32)>> = LazyLock::new(|| {
        universities()
            .iter()
            .filter(|u| u.level == "本科")
            .filter(|u| {
                let n = &u.name;
                let independent = n
                    .find("大学")
                    .is_some_and(|i| n[i + "大学".len()..].contains("学院"))
                    || n.matches("学院").count() >= 2;
                !independent
            })
            .map(|u| (u, if u.name.ends_with("大学") { 3 } else { 1 }))
            .collect()
    });
    &LIST
}

/// A university fitting the discipline. One draw in five stays in Guizhou
/// (all local universities, those whose name carries one of the discipline's
/// hints four times as likely); otherwise 65% come from the fitting
/// universities nationwide and the rest from all of them.
pub fn university(rng: &mut GenRng, discipline: &str) -> &'static University {
    let all = undergrad();
    let hints: Vec<&str> = disc(discipline)
        .map(|d| d.uni.split('|').collect())
        .unwrap_or_default();
    let fitting: Vec<(&University, u32)> = all
        .iter()
        .filter(|(u, _)| hints.iter().any(|h| u.name.contains(h)))
        .copied()
        .collect();
    let pool: Vec<(&University, u32)> = if chance(rng, 20) {
        // Guizhou: every local university, the fitting ones four times as likely
        all.iter()
            .filter(|(u, _)| u.region.starts_with("52"))
            .map(|&(u, w)| {
                (
                    u,
                    if hints.iter().any(|h| u.name.contains(h)) {
                        w * 4
                    } else {
                        w
                    },
                )
            })
            .collect()
    } else if !fitting.is_empty() && chance(rng, 65) {
        fitting
    } else {
        all.to_vec()
    };
    let weights: Vec<u32> = pool.iter().map(|(_, w)| *w).collect();
    pool[weighted(rng, &weights)].0
}

/// Offered maturity: applied fields reach pilot and industrial stages more often.
pub fn maturity(rng: &mut GenRng, discipline: &str) -> Maturity {
    let w: [u32; 4] = match applied(discipline) {
        2 => [35, 30, 23, 12],
        1 => [60, 25, 12, 3],
        _ => [80, 12, 6, 2],
    };
    Maturity::ALL[weighted(rng, &w)]
}

/// A TRL consistent with the maturity stage: research 1–3, bench trial 4–5,
/// pilot 6–7, industrial 8–9.
pub fn trl(rng: &mut GenRng, m: Maturity) -> u8 {
    let (lo, hi) = match m {
        Maturity::Research => (1, 3),
        Maturity::BenchTrial => (4, 5),
        Maturity::Pilot => (6, 7),
        Maturity::Industrial => (8, 9),
    };
    between(rng, lo, hi) as u8
}

/// Transfer modes offered by a research group.
pub fn modes(rng: &mut GenRng, discipline: &str) -> Vec<CoopMode> {
    let w = if applied(discipline) == 0 {
        [3, 3, 20, 14, 60]
    } else {
        [25, 22, 25, 10, 18]
    };
    super::need::coop_modes(rng, w)
}

/// Asking price in 万元, growing with maturity.
pub fn asking_price(rng: &mut GenRng, discipline: &str, m: Maturity) -> f64 {
    let median = [20, 40, 80, 150][m.stage() as usize];
    let median = if applied(discipline) == 0 {
        median / 2
    } else {
        median
    };
    skewed(rng, 2, median, 3000) as f64
}

/// Intellectual property: patents for applied fields, software copyrights
/// and know-how elsewhere, with plausible CN publication numbers.
pub fn ip(rng: &mut GenRng, discipline: &str) -> IpInfo {
    let w: [u32; 5] = match applied(discipline) {
        2 => [60, 22, 2, 8, 8],
        1 => [50, 5, 0, 20, 25],
        _ => [0, 0, 0, 35, 65],
    };
    let patent_type = [
        PatentType::Invention,
        PatentType::UtilityModel,
        PatentType::Design,
        PatentType::Software,
        PatentType::KnowHow,
    ][weighted(rng, &w)];
    let n = if patent_type == PatentType::KnowHow {
        0
    } else {
        1 + weighted(rng, &[60, 28, 12])
    };
    let numbers = (0..n).map(|_| ip_number(rng, patent_type)).collect();
    IpInfo {
        patent_type,
        numbers,
    }
}

fn ip_number(rng: &mut GenRng, t: PatentType) -> String {
    match t {
        PatentType::Invention => {
            let kind = if chance(rng, 45) { "B" } else { "A" };
            format!(
                "CN1{:02}{:06}{kind}",
                between(rng, 5, 17),
                between(rng, 0, 999_999)
            )
        }
        PatentType::UtilityModel => {
            format!(
                "CN2{:02}{:06}U",
                between(rng, 3, 19),
                between(rng, 0, 999_999)
            )
        }
        PatentType::Design => format!("CN30{:07}S", between(rng, 1_000_000, 9_999_999)),
        PatentType::Software => {
            format!(
                "{}SR{:07}",
                between(rng, 2015, 2024),
                between(rng, 1, 1_999_999)
            )
        }
        PatentType::KnowHow => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::codes::industries;

    #[test]
    fn table_codes_exist() {
        assert_eq!(discipline_count(), 67);
        for d in DISCIPLINES {
            assert!(industries().get(d.div).is_some(), "{}", d.name);
            for rule in d.rules.split(';').filter(|r| !r.is_empty()) {
                let (_, div) = rule.split_once(':').expect(rule);
                assert!(industries().get(div).is_some(), "{} {rule}", d.name);
            }
        }
        assert_eq!(
            industry_for("材料科学与工程", "一种铝合金的制备").as_deref(),
            Some("32")
        );
        assert_eq!(industry_for("作物学", "水稻产量").as_deref(), Some("01"));
        assert_eq!(
            industry_for("食品科学与工程", "酱香型白酒风味").as_deref(),
            Some("15")
        );
        assert_eq!(
            industry_for("计算机科学与技术", "推荐算法").as_deref(),
            Some("65")
        );
        assert_eq!(industry_for("不存在", "x"), None);
    }

    #[test]
    fn universities_fit() {
        let mut rng = super::super::util::rng_for(5, 6);
        for _ in 0..200 {
            let u = university(&mut rng, "石油与天然气工程");
            assert_eq!(u.level, "本科");
        }
    }
}
