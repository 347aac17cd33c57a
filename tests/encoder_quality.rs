//! The encoder's value: hand-written need/achievement pairs that share no
//! content word, among the shipped achievements. Vectors must find the
//! partner in the top 10 for most pairs, and more often than BM25 does.

mod common;

use common::{achievement, need};
use duijie::model::Kind;
use duijie::search::fulltext::Filters;
use duijie::text::{Analyzer, Mode};
use duijie::Engine;
use std::collections::HashSet;
use std::io::BufReader;

/// (need in an SME's words, result in a researcher's words).
const PAIRS: [(&str, &str); 24] = [
    (
        "电动车续航太短，客户老投诉",
        "高镍三元正极材料的包覆改性与比容量提升",
    ),
    (
        "猪场粪污处理花钱多，环保检查压力大",
        "畜禽养殖废水厌氧发酵产沼气工艺优化",
    ),
    (
        "注塑件表面缩痕严重，良品率上不去",
        "保压参数与模具冷却对成型制品凹陷的影响",
    ),
    (
        "茶园虫子多，打药后农残超标卖不出去",
        "茶小绿叶蝉天敌保护与生物防治效果评价",
    ),
    (
        "水泥厂粉尘大，周边居民投诉",
        "袋式除尘器滤料改进及颗粒物排放控制",
    ),
    (
        "白酒出酒率偏低，想提高产量",
        "酱香型大曲微生物群落对发酵产率的影响",
    ),
    ("冬天大棚里的菜长得慢", "日光温室补光与增温对番茄生长的调控"),
    (
        "车间电机经常烧坏，停产损失大",
        "基于振动信号的异步电动机故障诊断方法",
    ),
    ("仓库发货老出错，找货慢", "基于射频识别的仓储拣选路径优化"),
    (
        "辣椒烘干后颜色发暗卖不上价",
        "朝天椒热风干燥温度对色泽与品质的影响",
    ),
    (
        "桥梁用了十几年出现裂缝，担心安全",
        "在役混凝土结构损伤识别与承载力评估",
    ),
    ("鱼塘夏天经常死鱼", "高温季节池塘溶解氧变化与增氧机调控"),
    (
        "蔬菜放两天就烂，运到外地损耗大",
        "果蔬采后气调贮藏保鲜技术研究",
    ),
    ("厂里蒸汽费用太高", "燃煤工业锅炉燃烧优化与热效率提升"),
    ("牛羊冬季掉膘严重", "反刍动物越冬期补饲日粮配方对增重的影响"),
    (
        "网站被黑客攻击，客户数据泄露",
        "基于深度学习的网络入侵检测模型",
    ),
    (
        "生产线产品外观检查全靠人眼，漏检多",
        "基于机器视觉的表面缺陷自动识别",
    ),
    (
        "矿山废石堆积占地，想变废为宝",
        "尾矿综合利用制备建筑材料的研究",
    ),
    (
        "厂房屋顶空着，想省电费",
        "分布式光伏发电系统设计与经济性分析",
    ),
    ("手机信号在山区很差", "复杂地形下无线通信基站覆盖优化"),
    (
        "中药材种出来有效成分含量低",
        "天麻栽培中施肥对天麻素积累的影响",
    ),
    ("土豆地里烂根，减产一半", "马铃薯晚疫病病原菌侵染规律与防治"),
    (
        "数控机床加工出来的零件尺寸不稳定",
        "主轴热误差建模与补偿提高定位精度",
    ),
    ("污水厂出水氨氮老超标", "生物脱氮工艺中硝化菌群调控研究"),
];

fn words(text: &str, mode: Mode) -> HashSet<String> {
    Analyzer::shared()
        .analyze(text, mode)
        .into_iter()
        .map(|t| t.text)
        .collect()
}

#[test]
fn vectors_find_partners_that_share_no_words_and_beat_bm25() {
    // The premise: no need word occurs in its partner, at any granularity.
    for (n, a) in PAIRS {
        let shared: Vec<String> = words(n, Mode::Index)
            .intersection(&words(a, Mode::Index))
            .cloned()
            .collect();
        assert!(shared.is_empty(), "{n} / {a} share {shared:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path()).unwrap();
    let corpus = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpora/achievements.jsonl"
    ))
    .unwrap();
    let report = engine.ingest(BufReader::new(corpus), |_| {}).unwrap();
    assert!(report.accepted > 4_000, "the shipped achievements load");
    for (i, (n, a)) in PAIRS.iter().enumerate() {
        engine
            .upsert(need(&format!("N-pair-{i:02}"), n, n))
            .unwrap();
        engine
            .upsert(achievement(&format!("A-pair-{i:02}"), a, a))
            .unwrap();
    }
    engine.sync().unwrap();
    engine.retrain_encoder().unwrap();

    let mut by_vectors = 0;
    let mut by_bm25 = 0;
    for (i, (n, _)) in PAIRS.iter().enumerate() {
        let partner = format!("A-pair-{i:02}");
        let neighbours = engine.neighbors(&format!("N-pair-{i:02}"), 200).unwrap();
        let rank = neighbours.iter().position(|(d, _)| d.id == partner);
        if std::env::var("DUIJIE_DEBUG").is_ok() {
            eprintln!(
                "{n}: partner rank {rank:?}; top: {:?}",
                neighbours
                    .iter()
                    .take(3)
                    .map(|(d, c)| (d.title.clone(), *c))
                    .collect::<Vec<_>>()
            );
        }
        if rank.is_some_and(|r| r < 10) {
            by_vectors += 1;
        }
        let hits = engine
            .search(Kind::Achievement, n, &Filters::default(), 10)
            .unwrap();
        if hits.iter().any(|h| h.id == partner) {
            by_bm25 += 1;
        }
    }
    println!(
        "partner in top 10 among {} achievements: vectors {by_vectors}/{n}, BM25 {by_bm25}/{n}",
        engine.stats().unwrap().documents[&Kind::Achievement],
        n = PAIRS.len()
    );
    assert!(
        by_vectors * 2 > PAIRS.len(),
        "vectors found {by_vectors} of {}",
        PAIRS.len()
    );
    assert!(
        by_vectors > by_bm25,
        "vectors {by_vectors} vs BM25 {by_bm25}"
    );
}
