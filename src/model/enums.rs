//! Enumerations of the document model. Each value serialises as an ASCII code
//! and also accepts its Chinese name on input (e.g. `pilot` or `中试`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The four document kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 技术需求: a technology need posted by an SME.
    #[serde(alias = "技术需求")]
    Need,
    /// 科技成果: a research result listed by a university or institute.
    #[serde(alias = "科技成果")]
    Achievement,
    /// 配套需求: a supplier request posted by a chain-leader firm.
    #[serde(alias = "配套需求")]
    Request,
    /// 企业能力: an SME's capability profile.
    #[serde(alias = "企业能力")]
    Supplier,
}

/// The two markets a platform runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Market {
    /// 技术市场: needs ↔ achievements.
    Tech,
    /// 协作配套: requests ↔ suppliers.
    Supply,
}

impl Kind {
    /// All kinds, in a fixed order.
    pub const ALL: [Kind; 4] = [Kind::Need, Kind::Achievement, Kind::Request, Kind::Supplier];

    /// Singular ASCII name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Need => "need",
            Kind::Achievement => "achievement",
            Kind::Request => "request",
            Kind::Supplier => "supplier",
        }
    }

    /// Plural name, as in URL paths.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Need => "needs",
            Kind::Achievement => "achievements",
            Kind::Request => "requests",
            Kind::Supplier => "suppliers",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Kind::Need => "技术需求",
            Kind::Achievement => "科技成果",
            Kind::Request => "配套需求",
            Kind::Supplier => "企业能力",
        }
    }

    /// The kind a document of this kind is matched against.
    pub fn counterpart(self) -> Kind {
        match self {
            Kind::Need => Kind::Achievement,
            Kind::Achievement => Kind::Need,
            Kind::Request => Kind::Supplier,
            Kind::Supplier => Kind::Request,
        }
    }

    /// The market the kind belongs to.
    pub fn market(self) -> Market {
        match self {
            Kind::Need | Kind::Achievement => Market::Tech,
            Kind::Request | Kind::Supplier => Market::Supply,
        }
    }

    /// One-letter prefix of generated ids.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Kind::Need => "N",
            Kind::Achievement => "A",
            Kind::Request => "R",
            Kind::Supplier => "S",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;

    /// Accepts singular, plural and Chinese names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| s == k.as_str() || s == k.plural() || s == k.label_zh())
            .ok_or_else(|| format!("unknown kind `{s}` (need, achievement, request, supplier)"))
    }
}

/// Life-cycle status of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Visible and matchable.
    #[default]
    #[serde(alias = "开放")]
    Open,
    /// Withdrawn or fulfilled by its owner.
    #[serde(alias = "关闭")]
    Closed,
    /// Past its deadline.
    #[serde(alias = "过期")]
    Expired,
}

impl Status {
    /// ASCII name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Expired => "expired",
        }
    }
}

/// Maturity of a technology (wanted by a need, offered by an achievement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Maturity {
    /// 研发: laboratory research.
    #[serde(alias = "研发")]
    Research,
    /// 小试: bench-scale trial.
    #[serde(alias = "小试")]
    BenchTrial,
    /// 中试: pilot-scale trial.
    #[serde(alias = "中试")]
    Pilot,
    /// 产业化: in industrial production.
    #[serde(alias = "产业化")]
    Industrial,
}

impl Maturity {
    /// All stages from earliest to latest.
    pub const ALL: [Maturity; 4] = [
        Maturity::Research,
        Maturity::BenchTrial,
        Maturity::Pilot,
        Maturity::Industrial,
    ];

    /// ASCII name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Research => "research",
            Maturity::BenchTrial => "bench_trial",
            Maturity::Pilot => "pilot",
            Maturity::Industrial => "industrial",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Maturity::Research => "研发",
            Maturity::BenchTrial => "小试",
            Maturity::Pilot => "中试",
            Maturity::Industrial => "产业化",
        }
    }

    /// Stage index 0–3.
    pub fn stage(self) -> u8 {
        self as u8
    }
}

/// Ways a technology changes hands (wanted by a need, offered by an achievement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoopMode {
    /// 转让: assignment of the rights.
    #[serde(alias = "转让", alias = "技术转让")]
    Transfer,
    /// 许可: licence.
    #[serde(alias = "许可", alias = "技术许可")]
    License,
    /// 合作开发: joint development.
    #[serde(alias = "合作开发")]
    JointDevelopment,
    /// 委托开发: commissioned development.
    #[serde(alias = "委托开发")]
    Commissioned,
    /// 技术服务: technical service or consulting.
    #[serde(alias = "技术服务", alias = "技术咨询")]
    Service,
}

impl CoopMode {
    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            CoopMode::Transfer => "转让",
            CoopMode::License => "许可",
            CoopMode::JointDevelopment => "合作开发",
            CoopMode::Commissioned => "委托开发",
            CoopMode::Service => "技术服务",
        }
    }
}

/// 专精特新 recognition of a supplier, from none to the highest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ZjtxLevel {
    /// No recognition.
    #[default]
    #[serde(alias = "无")]
    None,
    /// 培育库: in the provincial cultivation pool (创新型中小企业).
    #[serde(alias = "培育库", alias = "创新型中小企业")]
    Pool,
    /// 省级专精特新中小企业.
    #[serde(alias = "省级", alias = "省级专精特新")]
    Provincial,
    /// 国家级专精特新"小巨人".
    #[serde(alias = "小巨人", alias = "国家级小巨人", alias = "专精特新小巨人")]
    LittleGiant,
    /// 制造业单项冠军.
    #[serde(alias = "单项冠军", alias = "制造业单项冠军")]
    Champion,
}

impl ZjtxLevel {
    /// ASCII name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ZjtxLevel::None => "none",
            ZjtxLevel::Pool => "pool",
            ZjtxLevel::Provincial => "provincial",
            ZjtxLevel::LittleGiant => "little_giant",
            ZjtxLevel::Champion => "champion",
        }
    }

    /// Rank 0–4.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// Patent type of an achievement's intellectual property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatentType {
    /// 发明专利.
    #[serde(alias = "发明专利", alias = "发明")]
    Invention,
    /// 实用新型.
    #[serde(alias = "实用新型")]
    UtilityModel,
    /// 外观设计.
    #[serde(alias = "外观设计")]
    Design,
    /// 软件著作权.
    #[serde(alias = "软件著作权", alias = "软著")]
    Software,
    /// 技术秘密 (know-how, unpatented).
    #[serde(alias = "技术秘密")]
    KnowHow,
}
