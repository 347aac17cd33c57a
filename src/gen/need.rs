//! 技术需求 (need) generator: an SME owner describing a problem in plain
//! business language, drawn from the topics in [`super::topics`].

use super::place;
use super::topics::{topics, Kpi, Topic};
use super::util::{
    between, chance, chars, cut_sentences, date_between, fill, index, pick, pick_distinct, skewed,
    weighted, GenRng,
};
use crate::model::{CoopMode, Document, Kind, Maturity};
use chrono::NaiveDate;

/// Body frames; each combines the slots below in a different order and voice.
const FRAMES: &[&str] = &[
    "{intro}{problem}。{kpi}想找能{goal}的团队。{money}{coop}{extra}",
    "【需求背景】{intro}{problem}。【需求内容】希望{goal}。{kpi}【合作方式】{coop}{money}",
    "{we}{problem}，{kpi}想请高校或研究院所帮忙{goal}。{extra}{money}{time}",
    "{problem}，这是我们现在最头疼的事。{intro}希望通过合作{goal}。{kpi}{coop}",
    "急需解决：{problem}。{intro}{kpi}诚邀有相关成果的专家团队{goal}，{money}{time}",
    "{intro}近两年{problem}，自己试了几次都没解决好。想找技术团队{goal}。{kpi}{extra}{money}",
    "需求描述：{goal_cap}。现状：{problem}。{kpi}{extra}预算：{budget}万元左右。{coop}",
    "{intro}{product}是我们的主打产品。{problem}。{kpi}寻求{goal}的成熟技术，{maturity}{money}",
    "我们是做{product}的，{problem}，{kpi}{time}希望能{goal}。{coop}{money}",
    "随着订单增加，{problem}的问题越来越突出。{intro}计划{goal}。{kpi}{extra}{coop}",
    "向各位专家求助：{problem}。{intro}目标是{goal}。{kpi}{money}{time}",
    "{intro}{problem}，客户和监管都在催。我们想{goal}，{maturity}{extra}{money}",
    "项目名称：{subject}。{intro}{problem}。{kpi}拟采取{modes}方式合作，{money}{time}",
    "{kpi}{problem}。{intro}希望与有经验的团队合作{goal}。{extra}{coop}",
    "在{gov}组织的企业走访中，我们提出了这个需求：{problem}，需要{goal}。{intro}{money}{coop}",
    "{intro}公司准备扩产，但{problem}。需要{goal}。{kpi}{maturity}{coop}{money}",
    "现有{product}生产中，{problem}。{kpi}想找懂行的老师{goal}，最好能到现场看看。{money}{time}",
    "我们在{product}方面有市场，卡在技术上：{problem}。{goal_cap}是当前最迫切的需求。{extra}{coop}{money}",
    "{place}{product}企业技术需求：{problem}；{kpi}拟{goal}。{maturity}{money}{time}{extra}",
    "说实话，{problem}这个问题困扰我们好几年了。{intro}这次下决心{goal}，{money}{coop}{extra}",
];

const INTROS: &[&str] = &[
    "我们是{place}一家做{product}的企业，",
    "本公司位于{full_place}，主要生产{product}，年产值约{output}万元。",
    "我司成立于{year}年，专业从事{product}生产，现有员工{staff}人。",
    "公司是{place}的{status}，主营{product}。",
    "我们在{place}做{product}有{years}年了，",
    "公司年销售收入{output}万元左右，主打产品是{product}。",
    "作为{place}本地的{product}生产企业，",
    "{owner}主要经营{product}，",
    "我们是{full_place}的{status}，",
    "企业现有{product}生产线{lines}条，员工{staff}人，",
];

const AGRI_INTROS: &[&str] = &[
    "我们基地在{full_place}，主要是{product}，规模{scale}亩左右。",
    "我们合作社在{place}，带动周边{households}户农户发展{product}，",
    "公司在{place}有{product}基地{scale}亩，",
    "我们是{place}的{status}，主要做{product}，",
    "{owner}在{full_place}流转土地{scale}亩发展{product}，",
];

const STATUSES: &[&str] = &[
    "规上工业企业",
    "国家高新技术企业",
    "科技型中小企业",
    "省级专精特新中小企业",
    "创新型中小企业",
    "农业产业化龙头企业",
    "民营企业",
    "县级重点企业",
];

const GOVS: &[&str] = &[
    "省科技厅",
    "市工信局",
    "县科技局",
    "省科协",
    "高新区管委会",
    "市科技局",
    "工业园区管委会",
];

const EXTRAS: &[&str] = &[
    "要求改造期间不影响现有生产。",
    "现有设备尽量利旧，新增投资不要太大。",
    "我们可以提供试验场地、样品和配套人员。",
    "希望技术方能派人驻厂指导，直到稳定生产。",
    "方案要符合国家和地方最新的环保、安全要求。",
    "知识产权归属可以商量，也接受成果作价入股。",
    "最好是已经在同行企业用过的技术。",
    "希望{months}个月内拿出可行方案并完成试验验证。",
    "可以一起申报省级科技计划项目，争取政策支持。",
    "技术方最好在省内或周边，方便随时到现场。",
    "需要配套培训，让我们自己的技术人员能掌握。",
    "欢迎高校、科研院所和有经验的企业联系。",
    "已和当地科技局沟通过，可协助对接科技特派员。",
    "效果达标后还有后续项目，长期合作优先。",
    "需签订保密协议后提供详细资料。",
    "要有第三方检测报告证明效果。",
];

const MONEY: &[&str] = &[
    "预算约{budget}万元。",
    "愿意投入{budget}万元左右。",
    "经费{budget}万元，可按节点分期支付。",
    "研发费用可承担{budget}万元上下，效果好可以再追加。",
    "总投入控制在{budget}万元以内。",
    "初步预算{budget}万元。",
];

const COOP: &[&str] = &[
    "合作方式可以是{modes}。",
    "倾向于{modes}。",
    "{modes}都可以谈。",
    "希望以{modes}的方式合作。",
    "可接受{modes}。",
];

const TIMES: &[&str] = &[
    "希望{date}前完成。",
    "项目周期一年左右，{date}前要见到效果。",
    "需求有效期至{date}。",
    "最晚{date}要能投入使用。",
];

const TITLES: &[&str] = &[
    "{subject}技术需求",
    "寻求{subject}解决方案",
    "{product}生产中的{subject}问题",
    "征集{subject}技术团队",
    "{place}企业{subject}需求",
    "关于{subject}的合作需求",
    "求助：{problem_short}",
    "如何{goal}？",
    "寻找能{goal}的技术团队",
    "{subject}（{product}）",
    "{place}企业急需{subject}技术",
    "{product}：{problem_short}，求解决方案",
    "{subject}合作开发",
    "【{chain}】{subject}",
    "{place}{product}{subject}项目",
];

/// Chinese label of a cooperation mode as an SME would write it.
pub fn mode_phrase(m: CoopMode) -> &'static str {
    match m {
        CoopMode::Transfer => "技术转让",
        CoopMode::License => "技术许可",
        CoopMode::JointDevelopment => "合作开发",
        CoopMode::Commissioned => "委托开发",
        CoopMode::Service => "技术服务",
    }
}

/// Samples a value between two decimal bounds given as text (`0.08`, `2.5`),
/// with as many decimals as the more precise bound.
pub fn kpi_value(rng: &mut GenRng, range: (&str, &str)) -> String {
    let decimals = |s: &str| s.split_once('.').map_or(0, |(_, d)| d.len());
    let d = decimals(range.0).max(decimals(range.1));
    let scale = 10u64.pow(d as u32);
    let parse = |s: &str| -> u64 {
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        let mut frac = frac.to_string();
        while frac.len() < d {
            frac.push('0');
        }
        int.parse::<u64>().unwrap_or(0) * scale + frac.parse::<u64>().unwrap_or(0)
    };
    let (a, b) = (parse(range.0), parse(range.1));
    let v = between(rng, a.min(b), a.max(b));
    if d == 0 {
        v.to_string()
    } else {
        format!("{}.{:0width$}", v / scale, v % scale, width = d)
    }
}

/// A sentence stating a KPI's current and wanted value in everyday words.
pub fn kpi_sentence(rng: &mut GenRng, k: &Kpi) -> String {
    let unit = if k.unit == "无" { "" } else { k.unit };
    let now = kpi_value(rng, k.now);
    let want = kpi_value(rng, k.want);
    let name = k.name;
    if k.now == ("0", "0") {
        let forms = [
            "希望{name}{want}{unit}以上。",
            "目标是{name}达到{want}{unit}。",
            "要求{name}不低于{want}{unit}。",
        ];
        return fill(
            pick(rng, &forms),
            &[("name", name), ("want", &want), ("unit", unit)],
        );
    }
    let forms: &[&str] = if k.higher_better {
        &[
            "目前{name}只有{now}{unit}，希望提升到{want}{unit}以上。",
            "{name}现在大概{now}{unit}，目标是{want}{unit}。",
            "现在{name}在{now}{unit}左右，行业先进水平能做到{want}{unit}。",
            "{name}要从{now}{unit}提高到{want}{unit}。",
        ]
    } else {
        &[
            "目前{name}在{now}{unit}左右，希望降到{want}{unit}以下。",
            "{name}高达{now}{unit}，要求控制在{want}{unit}以内。",
            "现在{name}约{now}{unit}，目标是不超过{want}{unit}。",
            "{name}要从{now}{unit}降到{want}{unit}。",
        ]
    };
    fill(
        pick(rng, forms),
        &[
            ("name", name),
            ("now", &now),
            ("want", &want),
            ("unit", unit),
        ],
    )
}

/// Wanted maturity of an SME: mostly pilot-proven or industrial.
fn wanted_maturity(rng: &mut GenRng) -> Maturity {
    [
        Maturity::Research,
        Maturity::BenchTrial,
        Maturity::Pilot,
        Maturity::Industrial,
    ][weighted(rng, &[6, 16, 34, 44])]
}

fn maturity_sentence(m: Maturity) -> &'static str {
    match m {
        Maturity::Industrial => "最好是已经产业化的成熟技术，拿来就能用。",
        Maturity::Pilot => "技术至少要做过中试。",
        Maturity::BenchTrial => "小试阶段的成果也可以，我们一起做中试放大。",
        Maturity::Research => "可以从前期研发开始合作。",
    }
}

/// 1–3 distinct modes, weighted towards joint and commissioned development.
pub fn coop_modes(rng: &mut GenRng, weights: [u32; 5]) -> Vec<CoopMode> {
    let all = [
        CoopMode::Transfer,
        CoopMode::License,
        CoopMode::JointDevelopment,
        CoopMode::Commissioned,
        CoopMode::Service,
    ];
    let k = 1 + weighted(rng, &[45, 38, 17]);
    let mut out = Vec::new();
    let mut w = weights;
    for _ in 0..k {
        if w.iter().all(|&x| x == 0) {
            break;
        }
        let i = weighted(rng, &w);
        w[i] = 0;
        out.push(all[i]);
    }
    out.sort();
    out
}

/// The first clause of a problem (`注塑件缩痕严重，外观件返修多` → `注塑件缩痕严重`).
fn first_clause(s: &str) -> &str {
    s.split(['，', '；']).next().unwrap_or(s)
}

/// Deadline window of needs and requests.
pub fn deadline(rng: &mut GenRng) -> NaiveDate {
    let from = NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid date");
    let to = NaiveDate::from_ymd_opt(2028, 6, 30).expect("valid date");
    date_between(rng, from, to)
}

fn is_agri(t: &Topic) -> bool {
    t.industries.iter().all(|c| c.starts_with('0'))
}

/// Generates one need. `i` is its ordinal (for the id).
pub fn need(rng: &mut GenRng, i: usize, seed: u64) -> Document {
    let list = topics();
    let t = &list[index(rng, list.len())];
    let region = place::region(rng, 75);
    let place_short = place::place_name(&region);
    let full_place = place::full_name(&region);
    let business = pick(rng, &t.firm);
    let owner = place::sme_name(rng, &region, business);
    let issue = index(rng, t.aligned());
    // products are often listed in the same order as the problems
    let product = if issue < t.products.len() && chance(rng, 60) {
        t.products[issue]
    } else {
        pick(rng, &t.products)
    };
    let (problem, goal, subject) = (t.problems[issue], t.goals[issue], t.subjects[issue]);
    let chain = pick(rng, &t.chains);
    let industry = pick(rng, &t.industries);
    let maturity = wanted_maturity(rng);
    let modes = coop_modes(rng, [10, 8, 35, 30, 17]);
    let budget = skewed(rng, 5, 60, 2000);
    let deadline = deadline(rng);

    let kpi = match t.kpi_for(issue) {
        Some(k) if chance(rng, 85) => kpi_sentence(rng, k),
        _ => String::new(),
    };
    let agri = is_agri(t);
    let intro_t = if agri && chance(rng, 70) {
        pick(rng, AGRI_INTROS)
    } else {
        pick(rng, INTROS)
    };
    let we = if agri {
        pick(rng, &["我们基地", "我们合作社", "我们公司", "我们"])
    } else {
        pick(rng, &["我们厂", "我们公司", "我司", "我们", "本企业"])
    };
    let status = pick(rng, STATUSES);
    let gov = pick(rng, GOVS);
    let n_extra = weighted(rng, &[15, 55, 30]);
    let extras: Vec<&str> = pick_distinct(rng, EXTRAS, n_extra);
    let money_t = pick(rng, MONEY);
    let coop_t = match pick(rng, COOP) {
        t if modes.len() == 1 && t.contains("都") => COOP[3],
        t => t,
    };
    let time_t = pick(rng, TIMES);
    let frame = pick(rng, FRAMES);
    let title_t = pick(rng, TITLES);

    let nums: Vec<String> = vec![
        between(rng, 1998, 2022).to_string(),
        between(rng, 30, 600).to_string(),
        (between(rng, 5, 400) * 100).to_string(),
        between(rng, 3, 25).to_string(),
        between(rng, 2, 8).to_string(),
        (between(rng, 5, 300) * 10).to_string(),
        (between(rng, 4, 150) * 10).to_string(),
        between(rng, 3, 12).to_string(),
    ];
    let budget_s = budget.to_string();
    let modes_s = modes
        .iter()
        .map(|m| mode_phrase(*m))
        .collect::<Vec<_>>()
        .join("、");
    let date_s = format!("{}年{}月", deadline.format("%Y"), deadline.format("%-m"));
    let vars: Vec<(&str, &str)> = vec![
        ("place", &place_short),
        ("full_place", &full_place),
        ("product", product),
        ("owner", &owner),
        ("status", status),
        ("year", &nums[0]),
        ("staff", &nums[1]),
        ("output", &nums[2]),
        ("years", &nums[3]),
        ("lines", &nums[4]),
        ("scale", &nums[5]),
        ("households", &nums[6]),
        ("months", &nums[7]),
        ("budget", &budget_s),
        ("modes", &modes_s),
        ("date", &date_s),
    ];
    let intro = fill(intro_t, &vars);
    let extra: String = extras.iter().map(|e| fill(e, &vars)).collect();
    let money = fill(money_t, &vars);
    let coop = fill(coop_t, &vars);
    let time = fill(time_t, &vars);
    let mut all = vars.clone();
    all.extend([
        ("intro", intro.as_str()),
        ("problem", problem),
        ("problem_short", first_clause(problem)),
        ("kpi", kpi.as_str()),
        ("goal", goal),
        ("goal_cap", goal),
        ("subject", subject),
        ("we", we),
        ("gov", gov),
        ("extra", extra.as_str()),
        ("money", money.as_str()),
        ("coop", coop.as_str()),
        ("time", time.as_str()),
        ("maturity", maturity_sentence(maturity)),
        ("chain", chain),
    ]);
    let mut body = fill(frame, &all);
    let mut k = 0;
    while chars(&body) < 80 {
        body.push_str(
            EXTRAS[(k + i) % EXTRAS.len()]
                .replace("{months}", "6")
                .as_str(),
        );
        k += 1;
    }
    let body = cut_sentences(&body, 600);
    let title = cut_sentences(&fill(title_t, &all), 200);

    let mut tags: Vec<String> = vec![subject.to_string()];
    let k = 1 + index(rng, 4);
    tags.extend(pick_distinct(rng, &t.tags, k).into_iter().map(String::from));
    if chance(rng, 30) && !tags.iter().any(|t| t == product) {
        tags.push(product.to_string());
    }
    let mut doc = Document::new(Kind::Need, title, body);
    doc.id = format!("N-G{seed}-{:05}", i + 1);
    doc.owner = owner;
    doc.tags = tags;
    doc.region = Some(region);
    doc.industry = Some(industry.to_string());
    doc.chain = Some(chain.to_string());
    doc.deadline = Some(deadline);
    doc.budget = Some(budget as f64);
    doc.cooperation_modes = modes;
    doc.maturity = Some(maturity);
    doc
}
