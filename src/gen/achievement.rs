//! Synthetic 科技成果 (achievements), written from the same topics as needs.
//! The shipped achievements come from CSL (see [`super::csl`]); these exist so
//! that `generate(Kind::Achievement, …)` works without the CSL files.

use super::academic;
use super::need::kpi_value;
use super::topics::topics;
use super::util::{chance, chars, cut_sentences, fill, index, pick, pick_distinct, GenRng};
use crate::model::{Document, Kind, Maturity, PatentType};

const TITLES: &[&str] = &[
    "{subject}关键技术",
    "一种用于{product}的{subject}方法",
    "{subject}技术研究与应用",
    "{product}{subject}新工艺",
    "{subject}成套技术及产业化示范",
    "面向{chain}的{subject}技术",
    "{subject}系统及装置",
];

const BODIES: &[&str] = &[
    "本成果针对{product}生产中{problem}等问题，{approach}。{result}{ipline}{stage}",
    "{team}围绕{subject}开展研究，{approach}，形成了具有自主知识产权的成套技术。{result}{stage}{ipline}",
    "成果简介：{problem}是{product}行业的共性难题。本项目{approach}。{result}{ipline}适用于{chain}相关企业。",
    "{result}该成果由{team}完成，主要内容是{approach}，可帮助企业{goal}。{stage}{ipline}",
    "技术背景：{problem}。技术方案：{approach}。应用效果：{result}{stage}{ipline}",
    "{team}长期从事{subject}研究。{approach}，{goal_short}。{result}{ipline}{stage}",
];

const APPROACHES: &[&str] = &[
    "通过机理分析和正交试验，{goal}",
    "建立了过程模型并开展工艺试验，{goal}",
    "采用数值模拟与试验验证相结合的方法，{goal}",
    "集成传感监测与数据分析，{goal}",
    "在实验室研究基础上完成了工艺放大，{goal}",
];

const TEAMS: &[&str] = &["本团队", "课题组", "项目组", "研究团队", "{inst}团队"];

fn stage_sentence(m: Maturity) -> &'static str {
    match m {
        Maturity::Research => "目前处于实验室研究阶段，欢迎企业共同开发。",
        Maturity::BenchTrial => "已完成小试，具备中试放大条件。",
        Maturity::Pilot => "已完成中试验证，可进行产业化推广。",
        Maturity::Industrial => "已在多家企业推广应用，技术成熟。",
    }
}

/// Generates one synthetic achievement. `i` is its ordinal (for the id).
pub fn achievement(rng: &mut GenRng, i: usize, seed: u64) -> Document {
    let list = topics();
    let t = &list[index(rng, list.len())];
    let discipline = t.discipline;
    let uni = academic::university(rng, discipline);
    let maturity = academic::maturity(rng, discipline);
    let trl = academic::trl(rng, maturity);
    let modes = academic::modes(rng, discipline);
    let price = academic::asking_price(rng, discipline, maturity);
    let ip = academic::ip(rng, discipline);
    let product = pick(rng, &t.products);
    let issue = index(rng, t.aligned());
    let (problem, goal, subject) = (t.problems[issue], t.goals[issue], t.subjects[issue]);
    let chain = pick(rng, &t.chains);
    let result = match t.kpi_for(issue) {
        Some(k) => {
            let unit = if k.unit == "无" { "" } else { k.unit };
            let (now, want) = (kpi_value(rng, k.now), kpi_value(rng, k.want));
            if k.now == ("0", "0") {
                format!("应用结果表明，{}{want}{unit}。", k.name)
            } else {
                let verb = if k.higher_better {
                    "提高到"
                } else {
                    "降低到"
                };
                format!("应用结果表明，{}由{now}{unit}{verb}{want}{unit}。", k.name)
            }
        }
        None => "在合作企业的应用表明，产品质量和生产效率均有明显提升。".to_string(),
    };
    let ipline = match ip.patent_type {
        PatentType::KnowHow => "核心工艺以技术秘密形式保护。".to_string(),
        PatentType::Software => format!("已登记软件著作权{}项。", ip.numbers.len()),
        PatentType::Invention => format!("已申请发明专利{}项。", ip.numbers.len()),
        PatentType::UtilityModel => format!("已获实用新型专利{}项。", ip.numbers.len()),
        PatentType::Design => format!("已获外观设计专利{}项。", ip.numbers.len()),
    };
    let inst_name = uni.name.clone();
    let team = fill(pick(rng, TEAMS), &[("inst", &inst_name)]);
    let approach = fill(pick(rng, APPROACHES), &[("goal", goal)]);
    let goal_short = if chance(rng, 50) {
        "实现了预期目标"
    } else {
        "取得了明显效果"
    };
    let vars: Vec<(&str, &str)> = vec![
        ("product", product),
        ("problem", problem),
        ("goal", goal),
        ("goal_short", goal_short),
        ("subject", subject),
        ("chain", chain),
        ("approach", &approach),
        ("result", &result),
        ("ipline", &ipline),
        ("stage", stage_sentence(maturity)),
        ("team", &team),
    ];
    let title = fill(pick(rng, TITLES), &vars);
    let mut body = fill(pick(rng, BODIES), &vars);
    if chars(&body) < 80 {
        body.push_str(stage_sentence(maturity));
        body.push_str("可提供技术咨询、培训和现场指导。");
    }
    let mut doc = Document::new(
        Kind::Achievement,
        cut_sentences(&title, 200),
        cut_sentences(&body, 600),
    );
    doc.id = format!("A-G{seed}-{:05}", i + 1);
    doc.owner = uni.name.clone();
    doc.institution = Some(uni.name.clone());
    doc.region = Some(uni.region.clone());
    doc.field = Some(discipline.to_string());
    doc.tags = {
        let k = 3 + index(rng, 3);
        pick_distinct(rng, &t.tags, k)
    }
    .into_iter()
    .map(String::from)
    .collect();
    doc.industry = Some(pick(rng, &t.industries).to_string());
    doc.chain = Some(chain.to_string());
    doc.maturity = Some(maturity);
    doc.trl = Some(trl);
    doc.cooperation_modes = modes;
    doc.asking_price = Some(price);
    doc.ip = Some(ip);
    doc
}
