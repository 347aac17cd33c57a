//! 配套需求 (request) and 企业能力 (supplier) generators, both drawing on the
//! product families of [`super::families`].

use super::families::{families, Family};
use super::need::deadline;
use super::place;
use super::util::{
    between, chance, chars, cn_amount, cut_sentences, fill, index, log_uniform, pick,
    pick_distinct, round2, skewed, weighted, GenRng,
};
use crate::model::{Document, Kind, ZjtxLevel};

const REQ_TITLES: &[&str] = &[
    "{product}配套供应商征集",
    "寻找{process}外协加工厂家",
    "年需{vol}{unit}{product}，诚征配套企业",
    "{owner_short}{product}本地化配套需求",
    "【{chain}】{product}采购需求",
    "征集{product}合格供应商",
    "{product}（{mat}）批量采购",
    "{place}{product}配套需求",
    "{key}供应商寻源：{product}",
    "{product}外协加工需求",
    "诚招{product}配套商",
    "{product}第二供应商开发",
    "{chain}链主企业{product}配套需求",
    "求购{product}，年用量{vol}{unit}",
    "{product}国产化替代供应商征集",
    "{products_short}等{key}配套采购",
];

const REQ_FRAMES: &[&str] = &[
    "{intro}{need}{spec_s}{proc_s}{cert_s}{deliv}{other}",
    "【采购内容】{products}\n【年需求量】约{vol}{unit}\n【技术要求】{specs}\n【资质要求】{cert_plain}\n【交付要求】{deliv}{other}",
    "{need}{intro}希望在{province}范围内寻找{key}配套企业。{spec_s}{cert_s}{other}",
    "{intro}现面向社会征集{key}供应商。产品：{products}；{spec_s}{proc_s}{cert_s}{deliv}",
    "项目背景：{intro}现寻求本地配套。需求内容：{need}{spec_s}其他要求：{other}{cert_s}",
    "{owner}拟开发{products}的第二供应商。{spec_s}{need}{proc_s}{cert_s}{other}",
    "{intro}{products}目前主要从省外采购，物流周期长，希望在本地找到配套企业。{need}{spec_s}{cert_s}",
    "采购需求：{products}。数量：年需{vol}{unit}。{spec_s}{proc_s}{deliv}{other}",
    "{intro}为提升供应链韧性，现征集{key}合格供应商。{spec_s}{cert_s}{need}{deliv}",
    "我们需要能做{processes}的厂家，产品为{products}，{need}{spec_s}{cert_s}{other}",
    "{chain}链主企业配套需求：{need}{spec_s}{proc_s}{cert_s}{deliv}{other}",
    "{intro}新项目即将量产，{products}需求量大。{need}{spec_s}{cert_s}{other}",
    "国产化替代：{products}原由进口供应商供货，现寻求国内替代。{spec_s}{need}{cert_s}{other}",
    "{need}技术要求如下：{specs}。{proc_s}{cert_s}{deliv}",
    "诚邀{province}及周边{key}企业参与配套。{intro}{need}{spec_s}{cert_s}{other}",
    "{intro}{need}供应商月产能需不低于{monthly}{unit}，{spec_s}{cert_s}{deliv}",
];

const REQ_INTROS: &[&str] = &[
    "我公司是{chain}产业链链主企业，",
    "因产能扩张，",
    "为推进本地化配套、降低物流成本，",
    "{owner}是{place}重点工业企业，",
    "随着新项目量产，",
    "为落实链主企业带动中小企业配套的要求，",
    "我司现有供应商产能不足，",
    "公司正在建设{place}生产基地，",
];

const REQ_OTHER: &[&str] = &[
    "样件周期不超过{days}天。",
    "需提供PPAP文件。",
    "付款方式：月结{pay}天。",
    "要求年降幅2%-3%。",
    "同等条件下优先考虑省内企业。",
    "可提供模具或技术支持。",
    "需接受我方二方审核。",
    "首批试制合格后签订年度框架协议。",
    "欢迎专精特新企业报名。",
    "需具备一定的同步开发能力。",
    "要求具备完整的来料、过程和出货检验记录。",
    "报价须含税含运费。",
];

const SPEC_FRAMES: &[&str] = &[
    "材质{mat}，{tol}，{feat}",
    "执行{std}，材质{mat}，{tol}",
    "{mat}；{tol}；{feat}；按{std}验收",
    "材料{mat}，{feat}，{tol}，满足{std}",
    "{tol}，{feat}，材质为{mat}",
    "按图纸加工，材质{mat}，{tol}，{feat}，{feat2}",
];

const SUP_TITLES: &[&str] = &[
    "{owner_short}{alias}生产能力介绍",
    "专业{process}，年产能{cap}{unit}",
    "{alias}制造商，已通过{cert}认证",
    "承接{product}配套加工",
    "{place}{alias}企业寻求链主配套",
    "{alias}｜{process}｜{equip}",
    "{owner_short}：{product}、{product2}",
    "{zjtx_title}{alias}供应商",
    "具备{equip}等设备，承接{alias}订单",
    "{chain}配套企业：{owner_short}",
    "{product}专业生产厂家",
    "{alias}一站式加工服务",
    "{place}本地{alias}供应能力",
    "{process}+{process2}，承接{product}",
    "年产{cap}{unit}{alias}，寻求长期合作",
];

const SUP_FRAMES: &[&str] = &[
    "{intro}{prod_s}{proc_s}{eq_s}{cert_s}{cap_s}{want}",
    "{owner}成立于{year}年，{zjtx_s}{prod_s}{eq_s}{cap_s}{cust_s}",
    "【主营产品】{products}\n【核心工艺】{processes}\n【主要设备】{equipment}\n【资质认证】{cert_plain}\n【年产能】{cap}{unit}",
    "我们是{place}一家专做{alias}的企业，{proc_s}{eq_s}{cert_s}{strength}{want}",
    "{zjtx_s}{intro}{prod_s}{cust_s}{cap_s}{strength}",
    "公司拥有{equipment}等设备，{proc_s}{prod_s}{cap_s}{cert_s}{want}",
    "{prod_s}{intro}{eq_s}年营业收入约{revenue}万元。{cert_s}{want}",
    "企业能力：{processes}。产品：{products}。设备：{equipment}。{cap_s}{cert_s}{strength}",
    "{intro}员工{staff}人，其中技术人员{tech}人。{prod_s}{proc_s}{eq_s}{cert_s}",
    "{owner}专注{alias}{years}年，{strength}{prod_s}{cap_s}{cust_s}{want}",
    "{cust_s}{intro}{prod_s}{eq_s}{cap_s}{want}",
    "可承接{products}等产品的配套加工，{proc_s}{eq_s}{cert_s}{strength}{cap_s}",
    "{intro}{zjtx_s}拥有{area}平方米标准厂房，{eq_s}{prod_s}{cap_s}{cert_s}",
    "我司是{chain}产业链配套企业，{prod_s}{proc_s}{cert_s}{cap_s}{strength}{want}",
    "{owner}，{place}{alias}骨干企业。{prod_s}{eq_s}{cust_s}{cert_s}{strength}",
    "目前产能利用率约{util}%，有富余产能承接{alias}订单。{prod_s}{proc_s}{eq_s}{cert_s}",
];

const SUP_INTROS: &[&str] = &[
    "公司位于{full_place}，",
    "我司是{place}的{status}，",
    "本企业成立于{year}年，",
    "{owner}地处{full_place}，",
    "公司深耕{alias}领域{years}年，",
    "我们在{place}有自建厂房{area}平方米，",
];

const STRENGTHS: &[&str] = &[
    "拥有省级企业技术中心。",
    "可来图来样加工。",
    "从设计到成品交付一站式服务。",
    "交期稳定，常规订单{days}天交付。",
    "与本地高校共建联合实验室。",
    "质量稳定，近三年客户投诉率低于0.5%。",
    "拥有发明专利{patents}项。",
    "具备同步开发和快速打样能力。",
    "通过数字化车间改造，生产全过程可追溯。",
    "配有完整的理化检测实验室。",
];

const WANTS: &[&str] = &[
    "希望对接{chain}链主企业的配套需求。",
    "寻求长期稳定的配套合作。",
    "欢迎整机厂来厂审核。",
    "诚邀各主机厂洽谈合作。",
    "希望进入省内链主企业供应商名录。",
    "有富余产能，可承接批量订单。",
];

const STATUSES: &[&str] = &[
    "规上工业企业",
    "国家高新技术企业",
    "科技型中小企业",
    "民营企业",
    "重点配套企业",
];

fn short_owner(owner: &str) -> String {
    let mut s = owner.to_string();
    for suffix in [
        "（集团）有限责任公司",
        "集团有限公司",
        "股份有限公司",
        "有限责任公司",
        "有限公司",
    ] {
        if let Some(x) = s.strip_suffix(suffix) {
            s = x.to_string();
            break;
        }
    }
    s
}

/// Known chain-leader firms of one generation run, reused across requests.
#[derive(Default)]
pub struct Buyers {
    firms: Vec<(usize, String, String)>,
}

/// Generates one request. `i` is its ordinal (for the id).
pub fn request(rng: &mut GenRng, i: usize, seed: u64, buyers: &mut Buyers) -> Document {
    let list = families();
    let fi = index(rng, list.len());
    let f = &list[fi];
    let known: Vec<&(usize, String, String)> =
        buyers.firms.iter().filter(|(k, _, _)| *k == fi).collect();
    let (owner, region) = if !known.is_empty() && chance(rng, 50) {
        let (_, o, r) = known[index(rng, known.len())];
        (o.clone(), r.clone())
    } else {
        let region = place::region(rng, 45);
        let business = pick(rng, &f.buyers);
        let owner = place::large_firm_name(rng, &region, business);
        buyers.firms.push((fi, owner.clone(), region.clone()));
        (owner, region)
    };
    let products: Vec<&str> = {
        let k = 1 + weighted(rng, &[55, 33, 12]);
        pick_distinct(rng, &f.products, k)
    };
    let processes: Vec<&str> = {
        let k = weighted(rng, &[10, 40, 35, 15]);
        pick_distinct(rng, &f.processes, k)
    };
    let certs: Vec<&str> = {
        let k = weighted(rng, &[22, 38, 28, 12]);
        pick_distinct(rng, &f.certs, k)
    };
    let mandatory = !certs.is_empty() && chance(rng, 40);
    let volume = log_uniform(rng, f.volume.0, f.volume.1);
    let chain = pick(rng, &f.chains);
    let industry = pick(rng, &f.industries);
    let deadline = deadline(rng);

    let mat = pick(rng, &f.materials);
    let feats = pick_distinct(rng, &f.features, 2);
    let spec_vars: Vec<(&str, &str)> = vec![
        ("mat", mat),
        ("tol", pick(rng, &f.tolerances)),
        ("feat", feats[0]),
        ("feat2", feats.get(1).copied().unwrap_or(feats[0])),
        ("std", pick(rng, &f.standards)),
    ];
    let specs = fill(pick(rng, SPEC_FRAMES), &spec_vars);

    let place_short = place::place_name(&region);
    let full_place = place::full_name(&region);
    let province = place::province_short(&region);
    let vol_s = cn_amount(volume);
    let monthly = cn_amount(round2((volume / 12).max(1)));
    let products_s = products.join("、");
    let processes_s = if processes.is_empty() {
        f.processes[0].to_string()
    } else {
        processes.join("、")
    };
    let certs_s = certs.join("、");
    let nums = [
        between(rng, 15, 60).to_string(),
        ["30", "60", "90", "120"][index(rng, 4)].to_string(),
        between(rng, 95, 99).to_string(),
        (between(rng, 5, 30) * 10).to_string(),
    ];
    let cert_s = if certs.is_empty() {
        if chance(rng, 50) {
            "暂不要求特定体系认证，但需有完善的质量管理。".to_string()
        } else {
            String::new()
        }
    } else if mandatory {
        fill(
            pick(
                rng,
                &[
                    "供应商必须通过{c}认证。",
                    "硬性要求：已取得{c}证书。",
                    "须具备有效的{c}认证，否则不予考虑。",
                ],
            ),
            &[("c", &certs_s)],
        )
    } else {
        fill(
            pick(
                rng,
                &[
                    "具有{c}认证者优先。",
                    "最好已通过{c}认证。",
                    "{c}认证企业优先考虑。",
                ],
            ),
            &[("c", &certs_s)],
        )
    };
    let cert_plain = if certs.is_empty() {
        "无特殊要求".to_string()
    } else if mandatory {
        format!("必须具备{certs_s}")
    } else {
        format!("{certs_s}优先")
    };
    let base: Vec<(&str, &str)> = vec![
        ("owner", &owner),
        ("place", &place_short),
        ("full_place", &full_place),
        ("province", &province),
        ("chain", chain),
        ("key", f.key),
        ("days", &nums[0]),
        ("pay", &nums[1]),
        ("otd", &nums[2]),
        ("km", &nums[3]),
    ];
    let intro = fill(pick(rng, REQ_INTROS), &base);
    let need = fill(
        pick(
            rng,
            &[
                "现需采购{p}，年需求量约{v}{u}。",
                "计划每年采购{p}约{v}{u}。",
                "{p}年用量{v}{u}左右，分批交付。",
                "需{p}，预计年采购量{v}{u}。",
            ],
        ),
        &[("p", &products_s), ("v", &vol_s), ("u", f.unit)],
    );
    let spec_s = fill(
        pick(
            rng,
            &[
                "技术要求：{s}。",
                "规格要求：{s}。",
                "{s}。",
                "产品需满足：{s}。",
            ],
        ),
        &[("s", &specs)],
    );
    let proc_s = if processes.is_empty() {
        String::new()
    } else {
        fill(
            pick(
                rng,
                &[
                    "供应商需具备{p}能力。",
                    "要求具备{p}等工序，可一站式交付者优先。",
                    "工艺上需覆盖{p}。",
                ],
            ),
            &[("p", &processes_s)],
        )
    };
    let deliv = fill(
        pick(
            rng,
            &[
                "交付地点{full_place}，要求JIT供货，准时交付率≥{otd}%。",
                "送货至{place}工厂，运输半径最好在{km}公里以内。",
                "交货地点：{full_place}。",
                "按月度计划分批送货至{place}。",
            ],
        ),
        &base,
    );
    let others: String = {
        let k = weighted(rng, &[20, 50, 30]);
        pick_distinct(rng, REQ_OTHER, k)
    }
    .iter()
    .map(|o| fill(o, &base))
    .collect();
    let owner_short = short_owner(&owner);
    let products_short = products
        .iter()
        .take(2)
        .copied()
        .collect::<Vec<_>>()
        .join("、");
    let mut all = base.clone();
    all.extend([
        ("intro", intro.as_str()),
        ("need", need.as_str()),
        ("spec_s", spec_s.as_str()),
        ("specs", specs.as_str()),
        ("proc_s", proc_s.as_str()),
        ("cert_s", cert_s.as_str()),
        ("cert_plain", cert_plain.as_str()),
        ("deliv", deliv.as_str()),
        ("other", others.as_str()),
        ("products", products_s.as_str()),
        ("processes", processes_s.as_str()),
        ("vol", vol_s.as_str()),
        ("unit", f.unit),
        ("monthly", monthly.as_str()),
        ("product", products[0]),
        ("products_short", products_short.as_str()),
        (
            "process",
            processes.first().copied().unwrap_or(f.processes[0]),
        ),
        ("mat", mat),
        ("owner_short", owner_short.as_str()),
    ]);
    let mut body = fill(pick(rng, REQ_FRAMES), &all);
    if chars(&body) < 80 {
        body.push_str(&fill("供应商需具备稳定的批量供货能力和完善的质量保证体系，有意者请提交企业简介、设备清单和典型客户。", &all));
    }
    let title = fill(pick(rng, REQ_TITLES), &all);

    let mut tags: Vec<String> = vec![f.key.to_string()];
    tags.extend(
        pick_distinct(rng, &f.aliases, 1)
            .into_iter()
            .map(String::from),
    );
    tags.extend(processes.iter().take(2).map(|s| s.to_string()));
    tags.dedup();

    let mut doc = Document::new(
        Kind::Request,
        cut_sentences(&title, 200),
        cut_sentences(&body, 600),
    );
    doc.id = format!("R-G{seed}-{:05}", i + 1);
    doc.owner = owner;
    doc.tags = tags;
    doc.region = Some(region);
    doc.industry = Some(industry.to_string());
    doc.chain = Some(chain.to_string());
    doc.deadline = Some(deadline);
    doc.products = products.into_iter().map(String::from).collect();
    doc.processes = processes.into_iter().map(String::from).collect();
    doc.specs = Some(specs);
    doc.certifications = certs.into_iter().map(String::from).collect();
    doc.certs_mandatory = mandatory;
    doc.annual_volume = Some(volume as f64);
    doc.volume_unit = Some(f.unit.to_string());
    doc
}

fn zjtx(rng: &mut GenRng) -> ZjtxLevel {
    [
        ZjtxLevel::None,
        ZjtxLevel::Pool,
        ZjtxLevel::Provincial,
        ZjtxLevel::LittleGiant,
        ZjtxLevel::Champion,
    ][weighted(rng, &[50, 20, 18, 9, 3])]
}

fn zjtx_sentence(z: ZjtxLevel) -> &'static str {
    match z {
        ZjtxLevel::None => "",
        ZjtxLevel::Pool => "公司为创新型中小企业，已入选省专精特新培育库。",
        ZjtxLevel::Provincial => "公司是省级专精特新中小企业。",
        ZjtxLevel::LittleGiant => "公司是国家级专精特新“小巨人”企业。",
        ZjtxLevel::Champion => "公司是国家级制造业单项冠军企业。",
    }
}

fn zjtx_title(z: ZjtxLevel) -> &'static str {
    match z {
        ZjtxLevel::None | ZjtxLevel::Pool => "",
        ZjtxLevel::Provincial => "省级专精特新企业·",
        ZjtxLevel::LittleGiant => "专精特新“小巨人”·",
        ZjtxLevel::Champion => "单项冠军·",
    }
}

/// Generates one supplier profile. `i` is its ordinal (for the id).
pub fn supplier(rng: &mut GenRng, i: usize, seed: u64) -> Document {
    let list = families();
    let f: &Family = &list[index(rng, list.len())];
    let region = place::region(rng, 80);
    let business = pick(rng, &f.firm);
    let owner = place::sme_name(rng, &region, business);
    let level = zjtx(rng);

    let mut products: Vec<&str> = {
        let k = 1 + weighted(rng, &[35, 40, 25]);
        pick_distinct(rng, &f.products, k)
    };
    let alias = pick(rng, &f.aliases);
    if chance(rng, 55) {
        products.insert(0, alias);
    }
    let processes: Vec<&str> = {
        let k = 2 + weighted(rng, &[30, 35, 25, 10]);
        pick_distinct(rng, &f.processes, k)
    };
    let equipment: Vec<&str> = {
        let k = 2 + weighted(rng, &[30, 35, 25, 10]);
        pick_distinct(rng, &f.equipment, k)
    };
    let mut certs: Vec<&str> = {
        let k = weighted(rng, &[18, 32, 30, 20]);
        pick_distinct(rng, &f.certs, k)
    };
    if level >= ZjtxLevel::Provincial && certs.is_empty() {
        certs.push(f.certs[0]);
    }
    if chance(rng, 25) && !certs.contains(&"ISO9001") {
        certs.push("ISO9001");
    }
    let capacity = log_uniform(rng, (f.volume.0 / 2).max(1), f.volume.1 * 3);
    let revenue = match level {
        ZjtxLevel::None => skewed(rng, 200, 2500, 50_000),
        ZjtxLevel::Pool => skewed(rng, 500, 4000, 80_000),
        ZjtxLevel::Provincial => skewed(rng, 1000, 8000, 150_000),
        ZjtxLevel::LittleGiant => skewed(rng, 3000, 25_000, 400_000),
        ZjtxLevel::Champion => skewed(rng, 20_000, 120_000, 2_000_000),
    };
    let debt = [
        between(rng, 8, 45),
        between(rng, 30, 65),
        between(rng, 55, 90),
    ][weighted(rng, &[35, 50, 15])];
    let share = [
        between(rng, 30, 70),
        between(rng, 70, 95),
        between(rng, 95, 100),
    ][weighted(rng, &[15, 55, 30])];
    let chain = pick(rng, &f.chains);
    let industry = pick(rng, &f.industries);

    let place_short = place::place_name(&region);
    let full_place = place::full_name(&region);
    let cap_s_num = cn_amount(capacity);
    let rev_s = revenue.to_string();
    let products_s = products.join("、");
    let processes_s = processes.join("、");
    let equipment_s = equipment.join("、");
    let certs_s = certs.join("、");
    let nums = [
        between(rng, 1995, 2021).to_string(),
        between(rng, 30, 800).to_string(),
        between(rng, 5, 80).to_string(),
        between(rng, 3, 28).to_string(),
        (between(rng, 20, 600) * 100).to_string(),
        between(rng, 45, 85).to_string(),
        between(rng, 7, 30).to_string(),
        between(rng, 2, 40).to_string(),
    ];
    let buyers = pick_distinct(rng, &f.buyers, 2).join("、");
    let base: Vec<(&str, &str)> = vec![
        ("owner", &owner),
        ("place", &place_short),
        ("full_place", &full_place),
        ("chain", chain),
        ("alias", alias),
        ("status", pick(rng, STATUSES)),
        ("year", &nums[0]),
        ("staff", &nums[1]),
        ("tech", &nums[2]),
        ("years", &nums[3]),
        ("area", &nums[4]),
        ("util", &nums[5]),
        ("days", &nums[6]),
        ("patents", &nums[7]),
        ("revenue", &rev_s),
        ("cap", &cap_s_num),
        ("unit", f.unit),
    ];
    let intro = fill(pick(rng, SUP_INTROS), &base);
    let prod_s = fill(
        pick(
            rng,
            &[
                "主要产品有{p}。",
                "主营{p}。",
                "产品涵盖{p}等。",
                "专业生产{p}。",
            ],
        ),
        &[("p", &products_s)],
    );
    let proc_s = fill(
        pick(
            rng,
            &[
                "掌握{p}等工艺。",
                "具备{p}全流程能力。",
                "核心工艺：{p}。",
                "可完成{p}等工序。",
            ],
        ),
        &[("p", &processes_s)],
    );
    let eq_s = fill(
        pick(
            rng,
            &[
                "拥有{e}等主要设备。",
                "主要设备包括{e}。",
                "配备{e}。",
                "现有{e}等关键设备共{n}台（套）。",
            ],
        ),
        &[
            ("e", &equipment_s),
            ("n", &between(rng, 12, 160).to_string()),
        ],
    );
    let cert_s = if certs.is_empty() {
        String::new()
    } else {
        fill(
            pick(
                rng,
                &["已通过{c}认证。", "持有{c}证书。", "质量体系：{c}。"],
            ),
            &[("c", &certs_s)],
        )
    };
    let cert_plain = if certs.is_empty() {
        "正在办理ISO9001认证".to_string()
    } else {
        certs_s.clone()
    };
    let cap_s = fill(
        pick(
            rng,
            &[
                "年产能{cap}{unit}。",
                "设计产能{cap}{unit}/年。",
                "年生产能力约{cap}{unit}。",
            ],
        ),
        &base,
    );
    let cust_s = fill(
        pick(
            rng,
            &[
                "产品配套{b}等行业客户。",
                "客户主要为{b}领域企业。",
                "已为多家{b}企业批量供货。",
            ],
        ),
        &[("b", &buyers)],
    );
    let strength: String = {
        let k = 1 + weighted(rng, &[60, 40]);
        pick_distinct(rng, STRENGTHS, k)
    }
    .iter()
    .map(|s| fill(s, &base))
    .collect();
    let want = fill(pick(rng, WANTS), &base);
    let owner_short = short_owner(&owner);
    let mut all = base.clone();
    all.extend([
        ("intro", intro.as_str()),
        ("prod_s", prod_s.as_str()),
        ("proc_s", proc_s.as_str()),
        ("eq_s", eq_s.as_str()),
        ("cert_s", cert_s.as_str()),
        ("cert_plain", cert_plain.as_str()),
        ("cap_s", cap_s.as_str()),
        ("cust_s", cust_s.as_str()),
        ("zjtx_s", zjtx_sentence(level)),
        ("zjtx_title", zjtx_title(level)),
        ("strength", strength.as_str()),
        ("want", want.as_str()),
        ("products", products_s.as_str()),
        ("processes", processes_s.as_str()),
        ("equipment", equipment_s.as_str()),
        ("product", products[0]),
        ("product2", products.get(1).copied().unwrap_or(alias)),
        ("process", processes[0]),
        ("process2", processes[1]),
        ("equip", equipment[0]),
        ("cert", certs.first().copied().unwrap_or("ISO9001")),
        ("owner_short", owner_short.as_str()),
    ]);
    let mut title_t = pick(rng, SUP_TITLES);
    if title_t.contains("{cert}") && certs.is_empty() {
        title_t = SUP_TITLES[0];
    }
    let title = fill(title_t, &all);
    let mut body = fill(pick(rng, SUP_FRAMES), &all);
    if chars(&body) < 80 {
        body.push_str(&cust_s);
        body.push_str(&want);
    }

    let mut tags: Vec<String> = vec![f.key.to_string()];
    tags.extend(processes.iter().take(2).map(|s| s.to_string()));
    if level >= ZjtxLevel::Provincial {
        tags.push("专精特新".to_string());
    }

    let mut doc = Document::new(
        Kind::Supplier,
        cut_sentences(&title, 200),
        cut_sentences(&body, 600),
    );
    doc.id = format!("S-G{seed}-{:05}", i + 1);
    doc.owner = owner;
    doc.tags = tags;
    doc.region = Some(region);
    doc.industry = Some(industry.to_string());
    doc.chain = Some(chain.to_string());
    doc.products = products.into_iter().map(String::from).collect();
    doc.processes = processes.into_iter().map(String::from).collect();
    doc.equipment = equipment.into_iter().map(String::from).collect();
    doc.certifications = certs.into_iter().map(String::from).collect();
    doc.capacity = Some(capacity as f64);
    doc.volume_unit = Some(f.unit.to_string());
    doc.revenue = Some(revenue as f64);
    doc.debt_ratio = Some(debt as f64 / 100.0);
    doc.main_business_share = Some(share as f64 / 100.0);
    doc.zjtx_level = Some(level);
    doc
}
